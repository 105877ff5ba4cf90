            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foobar VARCHAR(255) COLLATE "POSIX" NOT NULL
            );

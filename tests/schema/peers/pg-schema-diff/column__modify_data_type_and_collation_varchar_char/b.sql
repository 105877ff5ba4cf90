            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foobar CHAR COLLATE "POSIX" NOT NULL
            );

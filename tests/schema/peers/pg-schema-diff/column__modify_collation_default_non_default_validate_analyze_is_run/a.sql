            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foobar VARCHAR(255) COLLATE "C" NOT NULL
            );

            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foobar bytea NOT NULL
            );

            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo VARCHAR(255) NOT NULL
            );
            CREATE UNIQUE INDEX some_unique_idx ON foobar(foo);

            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo VARCHAR(255) NOT NULL
            );
            CREATE INDEX some_idx ON foobar(foo);

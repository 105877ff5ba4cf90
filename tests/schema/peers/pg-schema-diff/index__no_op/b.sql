            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo VARCHAR(255),
                bar TEXT UNIQUE ,
                fizz INT
            );
            CREATE INDEX some_idx ON foobar USING hash (foo);
            CREATE UNIQUE INDEX some_other_idx ON foobar (bar DESC, fizz);

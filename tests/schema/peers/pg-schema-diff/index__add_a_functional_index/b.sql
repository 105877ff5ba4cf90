            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1.foobar(
                id INT PRIMARY KEY,
                foo VARCHAR(255)
            );
            CREATE INDEX some_idx ON schema_1.foobar(lower(foo));

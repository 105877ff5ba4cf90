            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1.foobar(
                id INT PRIMARY KEY,
                foo VARCHAR(255) NOT NULL
            );
            CREATE INDEX some_inx ON schema_1.foobar(id, foo);

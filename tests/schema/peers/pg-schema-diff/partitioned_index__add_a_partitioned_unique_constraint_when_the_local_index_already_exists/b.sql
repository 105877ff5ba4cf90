            CREATE TABLE foobar(
                id INT,
                foo VARCHAR(255)
            ) PARTITION BY LIST (foo);
            ALTER TABLE foobar ADD CONSTRAINT foobar_unique UNIQUE (foo, id);
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');

            -- Create a table in a different schema to ensure that dependencies are correctly set
            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1.foobar(
                id INT,
                foo VARCHAR(255)
            ) PARTITION BY LIST (foo);
            CREATE TABLE schema_1.foobar_1 PARTITION OF schema_1.foobar FOR VALUES IN ('foo_1');

            -- Create a flattened version of the table in a different schema
            CREATE SCHEMA schema_2;
            CREATE TABLE schema_2.foobar(
                id INT,
                foo VARCHAR(255)
            );
            CREATE TABLE schema_2.foobar_1(
                id INT,
                foo VARCHAR(255)
            );

            CREATE TABLE foobar(
                id INT,
                bar INT,
                foo VARCHAR(255)
            ) PARTITION BY LIST (foo);

            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');

            CREATE INDEX some_idx ON foobar(foo, id);
            CREATE INDEX foobar_1_some_local_idx ON foobar_1(foo, bar, id);

            -- Create a table in a different schema to ensure that dependencies are correctly set
            CREATE schema schema_1;
            CREATE TABLE schema_1.foobar(
                id INT,
                bar INT,
                foo VARCHAR(255)
            ) PARTITION BY LIST (foo);
            CREATE TABLE schema_1.foobar_1 PARTITION OF schema_1.foobar FOR VALUES IN ('foo_1');

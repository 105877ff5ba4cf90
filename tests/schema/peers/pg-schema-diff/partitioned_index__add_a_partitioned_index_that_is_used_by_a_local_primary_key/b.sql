            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1.foobar(
                id INT,
                foo VARCHAR(255)
            ) PARTITION BY LIST (foo);
            CREATE TABLE schema_1.foobar_1 PARTITION OF schema_1.foobar FOR VALUES IN ('foo_1');
            CREATE UNIQUE INDEX some_idx ON ONLY schema_1.foobar(foo, id);
            CREATE UNIQUE INDEX foobar_1_pkey ON schema_1.foobar_1(foo, id);
            ALTER TABLE schema_1.foobar_1 ADD CONSTRAINT foobar_1_pkey PRIMARY KEY USING INDEX foobar_1_pkey;
            ALTER INDEX schema_1.some_idx ATTACH PARTITION schema_1.foobar_1_pkey;

            -- Create a table in a different schema to ensure that dependencies are correctly set
            CREATE SCHEMA schema_2;
            CREATE TABLE schema_2.foobar(
                id INT,
                foo VARCHAR(255)
            ) PARTITION BY LIST (foo);
            CREATE TABLE schema_2.foobar_1 PARTITION OF schema_2.foobar FOR VALUES IN ('foo_1');

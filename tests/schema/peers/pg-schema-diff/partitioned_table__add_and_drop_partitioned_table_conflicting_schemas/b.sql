            CREATE SCHEMA schema_3;
            CREATE TABLE schema_3.foobar(
                foo VARCHAR(255)
            ) PARTITION BY LIST (foo);

            CREATE SCHEMA schema_4;
            CREATE TABLE schema_4.foobar_1 PARTITION OF schema_3.foobar FOR VALUES IN ('foo_1');

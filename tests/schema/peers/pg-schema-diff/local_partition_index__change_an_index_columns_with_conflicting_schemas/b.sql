            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1.foobar(
                id INT,
                foo VARCHAR(255)
            ) PARTITION BY LIST (foo);
            CREATE SCHEMA schema_2;
            CREATE TABLE schema_2.foobar_1 PARTITION OF schema_1.foobar FOR VALUES IN ('foo_1');
            CREATE TABLE schema_2.foobar_2 PARTITION OF schema_1.foobar FOR VALUES IN ('foo_2');
            CREATE TABLE schema_2.foobar_3 PARTITION OF schema_1.foobar FOR VALUES IN ('foo_3');

            CREATE UNIQUE INDEX some_unique_idx ON schema_2.foobar_1(id, foo);

            CREATE SCHEMA schema_3;
            CREATE TABLE schema_3.foobar(
                id TEXT,
                foo INT
            ) PARTITION BY LIST (foo);
            CREATE SCHEMA schema_4;
            CREATE TABLE schema_4.foobar_1 PARTITION OF schema_3.foobar FOR VALUES IN (1);
            CREATE TABLE schema_4.foobar_2 PARTITION OF schema_3.foobar FOR VALUES IN (2);
            CREATE TABLE schema_4.foobar_3 PARTITION OF schema_3.foobar FOR VALUES IN (3);

            CREATE UNIQUE INDEX some_unique_idx ON schema_4.foobar_1(id, foo);

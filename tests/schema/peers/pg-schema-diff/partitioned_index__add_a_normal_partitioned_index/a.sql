            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1.foobar(
                id INT,
                foo VARCHAR(255)
            ) PARTITION BY LIST (foo);
            CREATE schema schema_2;
            CREATE TABLE schema_2.foobar_1 PARTITION OF schema_1.foobar FOR VALUES IN ('foo_1');
            CREATE TABLE schema_2.foobar_2 PARTITION OF schema_1.foobar FOR VALUES IN ('foo_2');
            CREATE TABLE schema_2.foobar_3 PARTITION OF schema_1.foobar FOR VALUES IN ('foo_3');

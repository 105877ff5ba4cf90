            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1.foobar( 
                id INT,
                fizz INT,
                foo VARCHAR(255),
                bar TEXT
            ) PARTITION BY LIST (foo);

            CREATE SCHEMA schema_2;
            CREATE TABLE schema_2.foobar_1(
                id INT,
                fizz INT,
                foo VARCHAR(255),
                bar TEXT
            );
            ALTER TABLE schema_1.foobar ATTACH PARTITION schema_2.foobar_1 FOR VALUES IN ('foo_1');

            -- partitioned indexes
            CREATE INDEX some_partitioned_idx ON schema_1.foobar( foo, bar);
            -- local indexes
            CREATE INDEX some_local_idx ON schema_2.foobar_1(foo, bar);

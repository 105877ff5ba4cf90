            CREATE TABLE foobar(
                id INT,
                foo VARCHAR(255),
                PRIMARY KEY (foo, id)
            ) PARTITION BY LIST (foo);
            ALTER TABLE foobar REPLICA IDENTITY DEFAULT;
            -- partitions
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');
            ALTER TABLE foobar_1 REPLICA IDENTITY FULL;
            CREATE TABLE foobar_2 PARTITION OF foobar FOR VALUES IN ('foo_2');
            ALTER TABLE foobar_2 REPLICA IDENTITY FULL;
            CREATE TABLE foobar_3 PARTITION OF foobar FOR VALUES IN ('foo_3');

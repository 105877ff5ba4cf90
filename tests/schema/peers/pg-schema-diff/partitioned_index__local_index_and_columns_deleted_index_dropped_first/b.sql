            CREATE TABLE foobar(
                bar INT,
                foo VARCHAR(255)
            ) PARTITION BY LIST (foo);

            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');

            CREATE TABLE foobar(
                id INT,
                foo VARCHAR(255)
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');
            CREATE UNIQUE INDEX foobar_1_unique_idx ON foobar_1(foo, id);

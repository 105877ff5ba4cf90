            CREATE TABLE foobar(
                id INT,
                bar INT,
                foo VARCHAR(255)
            ) PARTITION BY LIST (foo);

            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');
            CREATE TABLE foobar_2 PARTITION OF foobar FOR VALUES IN ('foo_2');

            CREATE INDEX some_idx ON foobar(foo, id);
            CREATE INDEX old_idx ON foobar_1(foo, bar);

            CREATE INDEX foobar_1_some_local_idx ON foobar_1(foo, bar, id);

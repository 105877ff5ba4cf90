            CREATE TABLE foobar(
                id INT,
                foo VARCHAR(255),
                bar TEXT,
                fizz BYTEA
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');

            CREATE INDEX foobar_some_idx ON foobar(foo, id);

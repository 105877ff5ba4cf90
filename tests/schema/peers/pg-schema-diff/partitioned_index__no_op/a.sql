            CREATE TABLE foobar(
                id INT,
                foo VARCHAR(255),
                bar TEXT,
                fizz INT,
                PRIMARY KEY (foo, id),
                UNIQUE (foo, bar)
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');
            CREATE TABLE foobar_2 PARTITION OF foobar FOR VALUES IN ('foo_2');
            CREATE TABLE foobar_3 PARTITION OF foobar FOR VALUES IN ('foo_3');
            CREATE INDEX some_idx ON foobar USING hash (foo);
            CREATE UNIQUE INDEX some_other_idx ON foobar(foo DESC, fizz);

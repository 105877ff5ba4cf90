            CREATE TABLE foobar(
                id INT,
                foo VARCHAR(255),
                bar TEXT,
                fizz INT,
                PRIMARY KEY (foo, id)
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');
            CREATE TABLE foobar_2 PARTITION OF foobar FOR VALUES IN ('foo_2');
            CREATE TABLE foobar_3 PARTITION OF foobar FOR VALUES IN ('foo_3');

            CREATE INDEX foobar_1_some_idx ON foobar_1 (foo);
            CREATE UNIQUE INDEX foobar_2_some_unique_idx ON foobar_2 (foo);

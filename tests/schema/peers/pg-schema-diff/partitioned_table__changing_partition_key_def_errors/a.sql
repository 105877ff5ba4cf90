            CREATE TABLE foobar(
                id INT,
                foo VARCHAR(255),
                bar TEXT,
                fizz INT
            ) PARTITION BY LIST (foo);

            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');

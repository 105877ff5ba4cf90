            CREATE TABLE foobar(
                id INT,
                foo VARCHAR(255),
                bar TEXT,
                fizz bytea
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');
            ALTER TABLE foobar_1 ADD CONSTRAINT foobar_1_unique UNIQUE (foo, id);

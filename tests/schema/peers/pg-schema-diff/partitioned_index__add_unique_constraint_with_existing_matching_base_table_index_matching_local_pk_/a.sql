            CREATE TABLE foobar(
                id INT NOT NULL,
                foo VARCHAR(255) NOT NULL
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');

            CREATE UNIQUE INDEX foobar_foo_id_key ON ONLY foobar(foo, id);
            ALTER TABLE foobar_1 ADD CONSTRAINT foobar_1_foo_id_key UNIQUE (foo, id);

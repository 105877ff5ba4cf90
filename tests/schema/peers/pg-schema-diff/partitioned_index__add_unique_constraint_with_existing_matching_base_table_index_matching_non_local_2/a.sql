            CREATE TABLE foobar(
                id INT NOT NULL,
                foo VARCHAR(255) NOT NULL
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');

            CREATE UNIQUE INDEX foobar_foo_id_key ON ONLY foobar(foo, id);
            CREATE UNIQUE INDEX foobar_1_foo_id_key ON foobar_1(foo, id);
            ALTER INDEX foobar_foo_id_key ATTACH PARTITION foobar_1_foo_id_key;
            ALTER TABLE foobar_1 ADD CONSTRAINT foobar_1_pkey UNIQUE USING INDEX foobar_1_foo_id_key;

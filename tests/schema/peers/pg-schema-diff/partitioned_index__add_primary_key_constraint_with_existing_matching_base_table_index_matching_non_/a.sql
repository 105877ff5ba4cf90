            CREATE TABLE foobar(
                id INT NOT NULL,
                foo VARCHAR(255) NOT NULL
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');

            CREATE UNIQUE INDEX foobar_pkey ON foobar(foo, id);
            ALTER TABLE foobar_1 ADD CONSTRAINT foobar_1_pkey PRIMARY KEY USING INDEX foobar_1_foo_id_idx;

            CREATE TABLE foobar(
                id INT NOT NULL,
                foo VARCHAR(255) NOT NULL
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');

            ALTER TABLE ONLY foobar ADD CONSTRAINT some_pkey PRIMARY KEY (foo, id);
            CREATE UNIQUE INDEX foobar_1_pkey ON foobar_1(foo, id);
            ALTER TABLE foobar_1 ADD CONSTRAINT foobar_1_pkey PRIMARY KEY USING INDEX foobar_1_pkey;
            ALTER INDEX some_pkey ATTACH PARTITION foobar_1_pkey;

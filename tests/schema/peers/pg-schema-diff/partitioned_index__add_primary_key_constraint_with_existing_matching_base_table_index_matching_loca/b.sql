            CREATE TABLE foobar(
                id INT NOT NULL,
                foo VARCHAR(255) NOT NULL
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');

            ALTER TABLE foobar ADD CONSTRAINT foobar_pkey PRIMARY KEY (foo, id);

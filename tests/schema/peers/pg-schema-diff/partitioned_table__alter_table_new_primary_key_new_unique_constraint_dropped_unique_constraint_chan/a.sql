            CREATE TABLE foobar(
                id INT,
                foo VARCHAR(255),
                bar TEXT COLLATE "C",
                fizz SERIAL,
                PRIMARY KEY (foo, id),
                UNIQUE (foo, bar)
            ) PARTITION BY LIST (foo);
            -- check constraints
            ALTER TABLE foobar ADD CONSTRAINT some_check_constraint CHECK ( fizz > 0 ) NOT VALID;
            -- partitions
            CREATE TABLE foobar_1 PARTITION OF foobar(
                foo NOT NULL,
                bar NOT NULL
            ) FOR VALUES IN ('foo_1');
            CREATE TABLE foobar_2 PARTITION OF foobar FOR VALUES IN ('foo_2');
            CREATE TABLE foobar_3 PARTITION OF foobar FOR VALUES IN ('foo_3');
            -- partitioned indexes
            CREATE UNIQUE INDEX foobar_unique_idx ON foobar(foo, bar);
            -- local indexes
            CREATE UNIQUE INDEX foobar_1_local_unique_idx ON foobar_1(foo);
            CREATE INDEX foobar_2_local_idx ON foobar_1(foo);

            CREATE TABLE foobar_fk(
                foo VARCHAR(255),
                bar TEXT
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_fk_1 PARTITION OF foobar_fk FOR VALUES IN ('foo_1');
            -- partitioned indexes
            CREATE UNIQUE INDEX foobar_fk_unique_idx ON foobar_fk(foo, bar);
            -- local indexes
            CREATE UNIQUE INDEX foobar_fk_1_local_unique_idx ON foobar_fk_1(foo);

            -- foreign keys
            -- create a circular dependency of foreign keys (this is allowed)
            ALTER TABLE foobar_fk ADD CONSTRAINT foobar_fk_fk FOREIGN KEY (foo, bar) REFERENCES foobar(foo, bar);
            ALTER TABLE foobar ADD CONSTRAINT foobar_fk FOREIGN KEY (foo, bar) REFERENCES foobar_fk(foo, bar);
            -- local local foreign keys
            ALTER TABLE foobar_fk_1 ADD CONSTRAINT foobar_fk_1_fk FOREIGN KEY (foo) REFERENCES foobar_1(foo) NOT VALID;
            ALTER TABLE foobar_1 ADD CONSTRAINT foobar_1_fk FOREIGN KEY (foo) REFERENCES foobar_fk_1(foo) NOT VALID;

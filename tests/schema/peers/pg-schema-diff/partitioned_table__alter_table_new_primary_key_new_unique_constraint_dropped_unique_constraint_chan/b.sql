            CREATE TABLE foobar(
                id TEXT,
                foo VARCHAR(255),
                bar TEXT COLLATE "POSIX",
                fizz TEXT,
                PRIMARY KEY (foo, id),
                UNIQUE (foo, fizz)
            ) PARTITION BY LIST (foo);
            -- check constraint
            ALTER TABLE foobar ADD CONSTRAINT some_check_constraint CHECK ( LENGTH(fizz) > 0 );
            -- partitions
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');
            CREATE TABLE foobar_2 PARTITION OF foobar(
                bar NOT NULL
            ) FOR VALUES IN ('foo_2');
            CREATE TABLE foobar_3 PARTITION OF foobar FOR VALUES IN ('foo_3');
            -- partitioned indexes
            CREATE UNIQUE INDEX foobar_some_idx ON foobar(foo, fizz);
            -- local indexes
            CREATE UNIQUE INDEX foobar_1_local_unique_idx ON foobar_1(foo);
            CREATE INDEX foobar_3_local_idx ON foobar_3(foo, bar);

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
            -- local local foreign keys
            ALTER TABLE foobar_fk_1 ADD CONSTRAINT foobar_fk_1_fk FOREIGN KEY (foo) REFERENCES foobar_1(foo);
            ALTER TABLE foobar_1 ADD CONSTRAINT foobar_1_fk FOREIGN KEY (foo) REFERENCES foobar_fk_1(foo);

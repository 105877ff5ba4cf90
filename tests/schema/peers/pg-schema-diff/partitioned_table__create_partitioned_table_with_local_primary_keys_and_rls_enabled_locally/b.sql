            CREATE TABLE "Foobar"(
                id INT,
                fizz SERIAL,
                foo VARCHAR(255),
                bar TEXT,
                CHECK ( fizz > 0 )
            ) PARTITION BY LIST (foo);
            -- partitions
            CREATE TABLE "FOOBAR_1" PARTITION OF "Foobar"(
                foo NOT NULL,
                bar NOT NULL,
                PRIMARY KEY (foo, id)
            ) FOR VALUES IN ('foo_1');
            ALTER TABLE "FOOBAR_1" ENABLE ROW LEVEL SECURITY;
            CREATE TABLE foobar_2 PARTITION OF "Foobar"(
                PRIMARY KEY (foo, bar)
            ) FOR VALUES IN ('foo_2');
            ALTER TABLE foobar_2 FORCE ROW LEVEL SECURITY;
            CREATE TABLE foobar_3 PARTITION OF "Foobar"(
                PRIMARY KEY (foo, fizz),
                UNIQUE (foo, bar)
            ) FOR VALUES IN ('foo_3');
            -- partitioned indexes
            CREATE UNIQUE INDEX foobar_unique_idx ON "Foobar"(foo, bar);
            -- local indexes
            CREATE INDEX foobar_1_local_idx ON "FOOBAR_1"(foo);
            CREATE UNIQUE INDEX foobar_2_local_unique_idx ON foobar_2(foo);

            CREATE TABLE foobar_fk(
                foo VARCHAR(255),
                bar TEXT
            ) PARTITION BY LIST (foo);
            -- partitions
            CREATE TABLE foobar_fk_1 PARTITION OF foobar_fk FOR VALUES IN ('foo_1');
            -- partitioned indexes
            CREATE UNIQUE INDEX foobar_fk_unique_idx ON foobar_fk(foo, bar);
            -- local indexes
            CREATE UNIQUE INDEX foobar_1_local_unique_idx ON foobar_fk_1(foo);

            -- foreign keys
            -- create a circular dependency of foreign keys (this is allowed)
            ALTER TABLE foobar_fk ADD CONSTRAINT foobar_fk_fk FOREIGN KEY (foo, bar) REFERENCES "Foobar"(foo, bar);
            ALTER TABLE "Foobar" ADD CONSTRAINT foobar_fk FOREIGN KEY (foo, bar) REFERENCES foobar_fk(foo, bar);
            -- local local foreign keys
            ALTER TABLE foobar_fk_1 ADD CONSTRAINT foobar_fk_1_fk FOREIGN KEY (foo) REFERENCES foobar_2(foo);
            ALTER TABLE "FOOBAR_1" ADD CONSTRAINT foobar_1_fk FOREIGN KEY (foo) REFERENCES foobar_fk_1(foo);

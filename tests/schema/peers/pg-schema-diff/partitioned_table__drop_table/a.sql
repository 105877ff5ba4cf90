            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1."Foobar"(
                id INT,
                foo VARCHAR(255),
                bar TEXT,
                fizz SERIAL,
                CHECK ( fizz > 0 ),
                PRIMARY KEY (foo, id),
                UNIQUE (foo, bar)
            ) PARTITION BY LIST (foo);

            CREATE SCHEMA schema_2;
            CREATE TABLE schema_2."FOOBAR_1" PARTITION OF schema_1."Foobar"(
                foo NOT NULL,
                bar NOT NULL
            ) FOR VALUES IN ('foo_1');
            -- partitions
            CREATE TABLE schema_2.foobar_2 PARTITION OF schema_1."Foobar" FOR VALUES IN ('foo_2');
            CREATE TABLE schema_2.foobar_3 PARTITION OF schema_1."Foobar" FOR VALUES IN ('foo_3');
            -- partitioned indexes
            CREATE UNIQUE INDEX foobar_unique_idx ON schema_1."Foobar"(foo, bar);
            -- local indexes
            CREATE INDEX foobar_1_local_idx ON schema_2."FOOBAR_1"(foo);
            CREATE UNIQUE INDEX foobar_2_local_unique_idx ON schema_2.foobar_2(foo);

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
            ALTER TABLE foobar_fk ADD CONSTRAINT foobar_fk_fk FOREIGN KEY (foo, bar) REFERENCES schema_1."Foobar"(foo, bar);
            ALTER TABLE schema_1."Foobar" ADD CONSTRAINT foobar_fk FOREIGN KEY (foo, bar) REFERENCES foobar_fk(foo, bar);
            -- local local foreign keys
            ALTER TABLE foobar_fk_1 ADD CONSTRAINT foobar_fk_1_fk FOREIGN KEY (foo) REFERENCES schema_2.foobar_2(foo);
            ALTER TABLE schema_2."FOOBAR_1" ADD CONSTRAINT foobar_1_fk FOREIGN KEY (foo) REFERENCES foobar_fk_1(foo);

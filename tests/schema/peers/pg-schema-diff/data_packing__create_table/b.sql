            CREATE TABLE foobar(
                id INT PRIMARY KEY CHECK (id > 0), CHECK (id < buzz),
                foo VARCHAR(255) COLLATE "POSIX" DEFAULT '' NOT NULL,
                bar TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                fizz SERIAL NOT NULL UNIQUE,
                buzz REAL CHECK (buzz IS NOT NULL)
            );
            ALTER TABLE foobar REPLICA IDENTITY FULL;
            ALTER TABLE foobar ENABLE ROW LEVEL SECURITY;
            ALTER TABLE foobar FORCE ROW LEVEL SECURITY;
            CREATE INDEX normal_idx ON foobar(fizz);
            CREATE UNIQUE INDEX foobar_unique_idx ON foobar(foo, bar);

            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1.foobar_fk(
                bar TIMESTAMP,
                foo VARCHAR(255)
            );
            CREATE UNIQUE INDEX foobar_fk_unique_idx ON schema_1.foobar_fk(foo, bar);
            -- create a circular dependency of foreign keys (this is allowed)
            ALTER TABLE schema_1.foobar_fk ADD CONSTRAINT foobar_fk_fk FOREIGN KEY (foo, bar) REFERENCES foobar(foo, bar);
            ALTER TABLE foobar ADD CONSTRAINT foobar_fk FOREIGN KEY (foo, bar) REFERENCES schema_1.foobar_fk(foo, bar);

            CREATE TABLE foobar(
                id INT,
                version INT,
                fizz SERIAL,
                foo VARCHAR(255),
                bar TEXT,
                UNIQUE (foo, bar)
            ) PARTITION BY LIST (foo);

            CREATE INDEX some_idx on foobar(id);
            CREATE UNIQUE INDEX foobar_unique_idx on foobar(foo, bar);

            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');


            CREATE FUNCTION increment_version() RETURNS TRIGGER AS $$
                BEGIN
                    NEW.version = OLD.version + 1;
                    RETURN NEW;
                END;
            $$ language 'plpgsql';

            CREATE TRIGGER some_update_trigger
                BEFORE UPDATE ON foobar
                FOR EACH ROW
                WHEN (OLD.* IS DISTINCT FROM NEW.*)
                EXECUTE PROCEDURE increment_version();

            CREATE TABLE foobar_fk(
                foo VARCHAR(255),
                bar TEXT
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_fk_1 PARTITION OF foobar_fk FOR VALUES IN ('foo_1');

            CREATE UNIQUE INDEX foobar_fk_unique_idx ON foobar_fk(foo, bar);

            -- foreign keys
            -- create a circular dependency of foreign keys (this is allowed)
            ALTER TABLE foobar_fk ADD CONSTRAINT foobar_fk_fk FOREIGN KEY (foo, bar) REFERENCES foobar(foo, bar);
            ALTER TABLE foobar ADD CONSTRAINT foobar_fk FOREIGN KEY (foo, bar) REFERENCES foobar_fk(foo, bar);

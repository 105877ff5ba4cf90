            CREATE TABLE foobar(
                id INT,
                version INT,
                fizz SERIAL,
                foo VARCHAR(255),
                bar TEXT,
                UNIQUE (foo, bar)
            );

            CREATE INDEX some_idx on foobar(id);
            CREATE UNIQUE INDEX foobar_unique_idx on foobar(foo, bar);

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
            );
            CREATE UNIQUE INDEX foobar_fk_unique_idx ON foobar_fk(foo, bar);

            -- foreign keys
            -- create a circular dependency of foreign keys (this is allowed)
            ALTER TABLE foobar_fk ADD CONSTRAINT foobar_fk_fk FOREIGN KEY (foo, bar) REFERENCES foobar(foo, bar);
            ALTER TABLE foobar ADD CONSTRAINT foobar_fk FOREIGN KEY (foo, bar) REFERENCES foobar_fk(foo, bar);

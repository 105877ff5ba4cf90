DO $teamigrate$ BEGIN CREATE ROLE role_1; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $teamigrate$;

            CREATE SCHEMA schema_1;
            CREATE EXTENSION amcheck WITH SCHEMA schema_1;
            
            CREATE SCHEMA schema_2;

            CREATE TABLE fizz(
            );

            CREATE TYPE schema_1.color AS ENUM ('red', 'green', 'blue');

            CREATE SEQUENCE schema_2.foobar_sequence
                AS BIGINT
                INCREMENT BY 2
                MINVALUE 5 MAXVALUE 100
                START WITH 10 CACHE 5 CYCLE
                OWNED BY NONE;

            CREATE FUNCTION schema_2.add(a integer, b integer) RETURNS integer
                LANGUAGE SQL
                IMMUTABLE
                RETURNS NULL ON NULL INPUT
                RETURN a + b;

            CREATE FUNCTION increment(i integer) RETURNS integer AS $$
                    BEGIN
                            RETURN i + 1;
                    END;
            $$ LANGUAGE plpgsql;

            CREATE FUNCTION function_with_dependencies(a integer, b integer) RETURNS integer
                LANGUAGE SQL
                IMMUTABLE
                RETURNS NULL ON NULL INPUT
                RETURN schema_2.add(a, b) + increment(a);

            CREATE FUNCTION "increment version"() RETURNS TRIGGER AS $$
                BEGIN
                    NEW.version = increment(OLD.version);
                    RETURN NEW;
                END;
            $$ language 'plpgsql';

            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                bar SERIAL NOT NULL,
                foo VARCHAR(255) DEFAULT 'some default' NOT NULL,
                fizz TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
                color schema_1.color DEFAULT 'green',
                quux BIGINT GENERATED ALWAYS AS IDENTITY ( MINVALUE 2 MAXVALUE 9 START 3 INCREMENT 4 CACHE 5 NO CYCLE ),
                UNIQUE (foo, bar)
            );
            CREATE INDEX foobar_normal_idx ON foobar USING hash (fizz);
            CREATE UNIQUE INDEX foobar_unique_idx ON foobar(foo, fizz DESC);

            CREATE OR REPLACE PROCEDURE add_foobar(name TEXT) LANGUAGE SQL AS $$
                INSERT INTO foobar DEFAULT VALUES
            $$;

            CREATE POLICY foobar_foo_policy ON foobar FOR SELECT TO PUBLIC USING (foo = current_user);

            CREATE TRIGGER "some trigger"
                BEFORE UPDATE ON foobar
                FOR EACH ROW
                WHEN (OLD.* IS DISTINCT FROM NEW.*)
                EXECUTE PROCEDURE "increment version"();

            CREATE table schema_2.bar(
                id VARCHAR(255) PRIMARY KEY,
                foo VARCHAR(255),
                bar DOUBLE PRECISION NOT NULL DEFAULT 8.8,
                fizz TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
                buzz REAL NOT NULL,
                FOREIGN KEY (foo, fizz) REFERENCES foobar (foo, fizz)
            );
            ALTER TABLE schema_2.bar ADD CONSTRAINT "FOO_CHECK" CHECK (LENGTH(foo) < bar) NOT VALID;
            CREATE INDEX bar_normal_idx ON schema_2.bar(bar);
            CREATE INDEX bar_another_normal_id ON schema_2.bar(bar DESC, fizz DESC);
            CREATE UNIQUE INDEX bar_unique_idx on schema_2.bar(fizz, buzz);

            CREATE POLICY bar_bar_policy ON schema_2.bar FOR INSERT TO role_1 WITH CHECK (bar > 5.1);
            CREATE POLICY bar_foo_policy ON schema_2.bar FOR SELECT TO PUBLIC USING (foo = 'some_foo');

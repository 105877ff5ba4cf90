            CREATE SCHEMA schema_1;
            CREATE EXTENSION amcheck;

            CREATE TABLE fizz(
            );

            CREATE TYPE schema_1.color AS ENUM ('red', 'green', 'blue');

            CREATE SEQUENCE schema_1.foobar_sequence
                AS BIGINT
                INCREMENT BY 2
                MINVALUE 5 MAXVALUE 100
                START WITH 10 CACHE 5 CYCLE
                OWNED BY NONE;

            CREATE FUNCTION schema_1.add(a integer, b integer) RETURNS integer
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
                RETURN schema_1.add(a, b) + increment(a);

            CREATE TABLE schema_1.foobar(
                id INT,
                foo VARCHAR(255) DEFAULT 'some default' NOT NULL CHECK (LENGTH(foo) > 0),
                bar SERIAL NOT NULL,
                fizz TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
                color schema_1.color DEFAULT 'green',
                  quux BIGINT GENERATED ALWAYS AS IDENTITY ( MINVALUE 2 MAXVALUE 9 START 3 INCREMENT 4 CACHE 5 NO CYCLE ),
                PRIMARY KEY (foo, id),
                UNIQUE (foo, bar)
            ) PARTITION BY LIST(foo);
            ALTER TABLE schema_1.foobar ENABLE ROW LEVEL SECURITY;
            ALTER TABLE schema_1.foobar FORCE ROW LEVEL SECURITY;

            CREATE TABLE foobar_1 PARTITION of schema_1.foobar(
                fizz NOT NULL
            ) FOR VALUES IN ('foobar_1_val_1', 'foobar_1_val_2');

            -- partitioned indexes
            CREATE INDEX foobar_normal_idx ON schema_1.foobar(foo DESC, bar);
            CREATE INDEX foobar_hash_idx ON schema_1.foobar USING hash (foo);
            CREATE UNIQUE INDEX foobar_unique_idx ON schema_1.foobar(foo, fizz);
            -- local indexes
            CREATE INDEX foobar_1_local_idx ON foobar_1(foo, fizz);

            CREATE POLICY foobar_foo_policy ON schema_1.foobar FOR SELECT TO PUBLIC USING (foo = current_user);

            CREATE table bar(
                id  INT PRIMARY KEY,
                foo VARCHAR(255),
                bar DOUBLE PRECISION NOT NULL DEFAULT 8.8,
                fizz TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP,
                buzz REAL NOT NULL CHECK (buzz IS NOT NULL),
                FOREIGN KEY (foo, fizz) REFERENCES schema_1.foobar (foo, fizz)
            );
            ALTER TABLE bar REPLICA IDENTITY FULL;
            CREATE INDEX bar_normal_idx ON bar(bar);
            CREATE INDEX bar_another_normal_id ON bar(bar, fizz);
            CREATE UNIQUE INDEX bar_unique_idx on bar(foo, buzz);

            CREATE OR REPLACE PROCEDURE some_procedure(i integer) AS $$
                    BEGIN
                            RAISE NOTICE 'foobar';
                    END;
            $$ LANGUAGE plpgsql;

            CREATE VIEW schema_1.foobar_view AS
                SELECT id, foo, fizz 
                FROM schema_1.foobar
                WHERE LENGTH(foo) > 10;

            CREATE VIEW public_bar_view AS
                SELECT bar, foo, fizz, buzz
                FROM bar
                WHERE buzz > 0.5;

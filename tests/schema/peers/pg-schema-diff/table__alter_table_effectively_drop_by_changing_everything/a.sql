            CREATE TABLE foobar(
                id INT PRIMARY KEY CHECK (id > 0), CHECK (id < buzz),
                foo VARCHAR(255) COLLATE "POSIX" DEFAULT '' NOT NULL,
                bar TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                fizz SERIAL NOT NULL UNIQUE,
                buzz REAL CHECK (buzz IS NOT NULL)
            );
            CREATE INDEX normal_idx ON foobar USING hash (fizz);
            CREATE UNIQUE INDEX foobar_unique_idx ON foobar(foo, bar);

            CREATE POLICY foobar_policy ON foobar 
                AS PERMISSIVE 
                FOR INSERT 
                TO PUBLIC
                WITH CHECK (id > 1 AND foo = 'value');

            CREATE TABLE foobar_fk(
                bar TIMESTAMP,
                foo VARCHAR(255)
            );
            CREATE UNIQUE INDEX foobar_fk_unique_idx ON foobar_fk(foo, bar);
            -- create a circular dependency of foreign keys (this is allowed)
            ALTER TABLE foobar_fk ADD CONSTRAINT foobar_fk_fk FOREIGN KEY (foo, bar) REFERENCES foobar(foo, bar);
            ALTER TABLE foobar ADD CONSTRAINT foobar_fk FOREIGN KEY (foo, bar) REFERENCES foobar_fk(foo, bar);

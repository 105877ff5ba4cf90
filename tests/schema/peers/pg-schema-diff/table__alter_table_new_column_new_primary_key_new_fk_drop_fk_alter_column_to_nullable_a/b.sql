            CREATE TABLE foobar(
                id SMALLSERIAL,
                foo CHAR DEFAULT '5',
                bar TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
                new_fizz DECIMAL(65, 10) DEFAULT 5.25 NOT NULL PRIMARY KEY UNIQUE
            );

            CREATE INDEX other_idx ON foobar(bar);

            CREATE POLICY foobar_policy ON foobar 
                AS PERMISSIVE 
                FOR INSERT 
                TO PUBLIC
                WITH CHECK (new_fizz = 5.25);

            CREATE TABLE foobar_fk(
                bar TIMESTAMP,
                foo CHAR
            );
            CREATE UNIQUE INDEX foobar_fk_unique_idx ON foobar_fk(foo, bar);
            -- create a circular dependency of foreign keys (this is allowed)
            ALTER TABLE foobar ADD CONSTRAINT foobar_fk FOREIGN KEY (foo, bar) REFERENCES foobar_fk(foo, bar);

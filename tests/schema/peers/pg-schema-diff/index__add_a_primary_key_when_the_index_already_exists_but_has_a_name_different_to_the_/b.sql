            CREATE TABLE foobar(
                id INT
            );
            CREATE UNIQUE INDEX foobar_idx ON foobar(id);
            -- This renames the index
            ALTER TABLE foobar ADD CONSTRAINT foobar_primary_key PRIMARY KEY USING INDEX foobar_idx;

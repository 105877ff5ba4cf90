            CREATE TABLE foobar(
                id INT NOT NULL,
                foo TEXT NOT NULL
            );
            CREATE UNIQUE INDEX unique_idx ON foobar(id);
            ALTER TABLE foobar ADD CONSTRAINT non_default_primary_key PRIMARY KEY USING INDEX unique_idx;

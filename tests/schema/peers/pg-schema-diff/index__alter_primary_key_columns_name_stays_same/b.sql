            CREATE TABLE foobar(
                id INT,
                foo INT NOT NULL
            );
            CREATE UNIQUE INDEX unique_idx ON foobar(id, foo);
            ALTER TABLE foobar ADD CONSTRAINT non_default_primary_key PRIMARY KEY USING INDEX unique_idx;

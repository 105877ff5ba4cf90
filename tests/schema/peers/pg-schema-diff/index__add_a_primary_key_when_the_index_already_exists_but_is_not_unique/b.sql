            CREATE TABLE foobar(
                id INT
            );
            CREATE UNIQUE INDEX foobar_primary_key ON foobar(id);
            ALTER TABLE foobar ADD CONSTRAINT foobar_primary_key PRIMARY KEY USING INDEX foobar_primary_key;

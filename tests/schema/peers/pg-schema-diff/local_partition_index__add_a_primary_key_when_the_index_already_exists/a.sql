            CREATE TABLE foobar(
                id INT,
                foo VARCHAR(255) NOT NULL,
                bar TEXT NOT NULL,
                fizz bytea
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('foo_1');
            CREATE UNIQUE INDEX "foobar1_PRIMARY_KEY" ON foobar_1(foo, id);
            
            -- Create a table in a different schema where the index does not exist
            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1.foobar(
                id INT,
                foo VARCHAR(255) NOT NULL,
                bar TEXT NOT NULL,
                fizz bytea
            ) PARTITION BY LIST (foo);

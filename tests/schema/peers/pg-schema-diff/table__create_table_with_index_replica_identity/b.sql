            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foobar TEXT NOT NULL
            );
            CREATE UNIQUE INDEX some_idx ON foobar(foobar);
            ALTER TABLE foobar REPLICA IDENTITY USING INDEX some_idx;

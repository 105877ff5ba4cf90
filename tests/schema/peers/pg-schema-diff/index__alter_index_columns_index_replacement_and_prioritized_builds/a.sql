            CREATE TABLE foobar(
                foo TEXT,
                bar INT
            );
            CREATE INDEX some_idx_with_a_very_long_name ON foobar(foo);
            CREATE INDEX old_idx ON foobar(bar);

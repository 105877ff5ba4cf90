            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo TEXT NOT NULL,
                bar BIGINT NOT NULL
            );
            CREATE INDEX some_idx ON foobar (foo, bar)
;

            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo TEXT NOT NULL,
                bar BIGINT NOT NULL
            );
            CREATE UNIQUE INDEX some_idx_with_a_really_long_name_that_is_nearly_61_chars ON foobar(foo, bar)
;

                CREATE TABLE foobar(
                    category TEXT
                ) partition by list (category);
                CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('category');

            CREATE TABLE foobar(
                id INT,
                version INT,
                fizz SERIAL,
                foo VARCHAR(255),
                bar TEXT
            ) PARTITION BY LIST (foo);

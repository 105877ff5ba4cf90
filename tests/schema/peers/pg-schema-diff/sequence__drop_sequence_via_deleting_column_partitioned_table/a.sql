            CREATE TABLE foobar(
                "some id" SERIAL,
                type TEXT
            ) PARTITION BY LIST (type);

            CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN (1);
            CREATE TABLE foobar_2 PARTITION OF foobar FOR VALUES IN (2);

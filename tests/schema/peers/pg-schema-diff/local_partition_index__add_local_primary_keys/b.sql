            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1.foobar(
                id INT,
                foo VARCHAR(255),
                bar TEXT,
                fizz bytea
            ) PARTITION BY LIST (foo);
            
            CREATE SCHEMA schema_2;
            CREATE TABLE schema_2.foobar_1 PARTITION OF schema_1.foobar(
                CONSTRAINT "foobar1_PRIMARY_KEY" PRIMARY KEY (foo, id)
            ) FOR VALUES IN ('foo_1');
            CREATE TABLE schema_2.foobar_2 PARTITION OF schema_1.foobar(
                CONSTRAINT "foobar2_PRIMARY_KEY" PRIMARY KEY (foo, bar)
            ) FOR VALUES IN ('foo_2');
            CREATE TABLE schema_2.foobar_3 PARTITION OF schema_1.foobar(
                CONSTRAINT "foobar3_PRIMARY_KEY" PRIMARY KEY (foo, fizz)
            ) FOR VALUES IN ('foo_3');

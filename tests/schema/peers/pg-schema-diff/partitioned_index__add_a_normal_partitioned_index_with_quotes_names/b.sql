            CREATE TABLE "Foobar"(
                id INT,
                "Foo" VARCHAR(255)
            ) PARTITION BY LIST ("Foo");
            CREATE TABLE "FOOBAR_1" PARTITION OF "Foobar" FOR VALUES IN ('foo_1');
            CREATE TABLE foobar_2 PARTITION OF "Foobar" FOR VALUES IN ('foo_2');
            CREATE TABLE foobar_3 PARTITION OF "Foobar" FOR VALUES IN ('foo_3');

            CREATE INDEX "SOME_IDX" ON "Foobar"(id, "Foo");

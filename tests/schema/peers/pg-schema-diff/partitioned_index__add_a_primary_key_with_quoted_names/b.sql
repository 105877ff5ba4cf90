            CREATE TABLE "Foobar"(
                "Id" INT,
                "FOO" VARCHAR(255)
            ) PARTITION BY LIST ("FOO");
            CREATE TABLE foobar_1 PARTITION OF "Foobar" FOR VALUES IN ('foo_1');
            CREATE TABLE foobar_2 PARTITION OF "Foobar" FOR VALUES IN ('foo_2');
            CREATE TABLE foobar_3 PARTITION OF "Foobar" FOR VALUES IN ('foo_3');
            ALTER TABLE "Foobar" ADD CONSTRAINT "FOOBAR_PK" PRIMARY KEY("FOO", "Id")
;

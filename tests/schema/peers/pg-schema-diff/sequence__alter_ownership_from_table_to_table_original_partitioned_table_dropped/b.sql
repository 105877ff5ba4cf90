            CREATE SEQUENCE "foobar sequence"
                        AS BIGINT
                        INCREMENT BY 2
                        MINVALUE 5 MAXVALUE 100
                        START WITH 10 CACHE 5 CYCLE
                        OWNED BY NONE;

            CREATE TABLE some_other_foobar(
                "some id" SERIAL,
                type TEXT
            ) PARTITION BY LIST (type);

            CREATE TABLE some_other_foobar_1 PARTITION OF some_other_foobar FOR VALUES IN (1);
            CREATE TABLE some_other_foobar_2 PARTITION OF some_other_foobar FOR VALUES IN (2);

            ALTER SEQUENCE "foobar sequence" OWNED BY some_other_foobar."some id";

            CREATE SEQUENCE "foobar sequence"
                        AS BIGINT
                        INCREMENT BY 3
                        MINVALUE 6 MAXVALUE 101
                        START WITH 11 CACHE 6 NO CYCLE
                        OWNED BY NONE;
            CREATE TABLE "some foobar"(
                "some id" INT
            );
            CREATE TABLE "some other foobar"(
                "some id" BIGINT
            );
            ALTER SEQUENCE "foobar sequence" OWNED BY "some other foobar"."some id";

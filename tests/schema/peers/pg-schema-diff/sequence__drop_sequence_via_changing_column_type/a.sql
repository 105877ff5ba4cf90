            CREATE TABLE foobar(
                "some id" SERIAL
            )
;

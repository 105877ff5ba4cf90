            CREATE TABLE "foobar fk"(
                fk_id INT
            );

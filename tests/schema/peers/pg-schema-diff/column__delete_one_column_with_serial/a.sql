            CREATE TABLE "Foobar"(
                id BIGSERIAL PRIMARY KEY
            );

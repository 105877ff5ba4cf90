            CREATE TABLE "Foobar"(
            );

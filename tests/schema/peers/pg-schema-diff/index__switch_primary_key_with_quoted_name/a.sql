            CREATE TABLE "Foobar"(
                "Id" INT NOT NULL PRIMARY KEY,
                foo TEXT NOT NULL
            );

            CREATE TABLE "Foobar"(
                "Id" INT,
                foo INT NOT NULL PRIMARY KEY
            );

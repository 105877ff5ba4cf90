            CREATE TABLE "Foobar"(
                id INT PRIMARY KEY
            );

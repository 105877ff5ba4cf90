            CREATE TABLE foobar(
                id INT,
                PRIMARY KEY (id)
            );

            CREATE TABLE "foobar fk"(
                fk_id INT
            );

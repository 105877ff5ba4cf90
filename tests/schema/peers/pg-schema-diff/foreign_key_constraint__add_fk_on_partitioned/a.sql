            CREATE TABLE "foo bar"(
                id INT,
                PRIMARY KEY (id)
            );

            CREATE TABLE "foobar fk"(
                fk_id INT
            ) PARTITION BY LIST (fk_id);

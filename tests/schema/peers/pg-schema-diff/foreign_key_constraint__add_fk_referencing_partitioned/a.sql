            CREATE TABLE foobar(
                id INT,
                PRIMARY KEY (id)
            ) PARTITION BY LIST (id);

            CREATE TABLE "foobar fk"(
                fk_id INT
            );

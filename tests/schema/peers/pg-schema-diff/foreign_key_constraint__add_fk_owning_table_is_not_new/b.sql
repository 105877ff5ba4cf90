            CREATE TABLE foobar(
                id INT,
                PRIMARY KEY (id)
            );

            CREATE TABLE "foobar fk"(
                fk_id INT,
                FOREIGN KEY (fk_id) REFERENCES foobar(id)
                    ON DELETE SET NULL
                    ON UPDATE SET NULL
                    NOT DEFERRABLE
            );

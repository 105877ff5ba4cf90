            CREATE TABLE foobar(
                id INT,
                PRIMARY KEY (id)
            );

            CREATE TABLE "foobar fk"(
                fk_id INT
            );
            ALTER TABLE "foobar fk" ADD CONSTRAINT some_fk
                FOREIGN KEY (fk_id) REFERENCES foobar(id)
                NOT VALID;

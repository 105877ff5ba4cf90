            CREATE TABLE foobar(
                id_part_1 INT,
                id_part_2 VARCHAR(255),
                PRIMARY KEY (id_part_1, id_part_2)
            );
            CREATE TABLE "foobar fk"(
                fk_part_1 BIGINT,
                fk_part_2 VARCHAR(255),
                FOREIGN KEY (fk_part_1, fk_part_2) REFERENCES foobar(id_part_1, id_part_2)
                    ON DELETE SET NULL
                    ON UPDATE SET NULL
                    NOT DEFERRABLE
            );

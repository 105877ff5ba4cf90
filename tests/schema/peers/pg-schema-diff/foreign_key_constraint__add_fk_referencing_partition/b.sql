            CREATE TABLE foobar(
                id INT,
                PRIMARY KEY (id)
            ) PARTITION BY LIST (id);
      CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN (1);

            CREATE TABLE "foobar fk"(
                fk_id INT,
                FOREIGN KEY (fk_id) REFERENCES foobar_1(id)
                    ON DELETE SET NULL
                    ON UPDATE SET NULL
                    NOT DEFERRABLE
            );

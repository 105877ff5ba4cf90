            CREATE TABLE foobar(
                id INT,
                PRIMARY KEY (id)
            );

            CREATE TABLE "foobar fk"(
                fk_id INT
            );
            CREATE TABLE "foobar fk partitioned"(
                foo varchar(255),
                fk_id INT
            ) PARTITION BY LIST (foo);
            ALTER TABLE "foobar fk partitioned" ADD CONSTRAINT some_fk
                FOREIGN KEY (fk_id) REFERENCES foobar(id);

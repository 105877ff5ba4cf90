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
            CREATE TABLE foobar_1 PARTITION OF "foobar fk partitioned" FOR VALUES IN ('1');
            CREATE TABLE foobar_2 PARTITION OF "foobar fk partitioned" FOR VALUES IN ('2');
            ALTER TABLE "foobar fk partitioned" ADD CONSTRAINT some_fk
                FOREIGN KEY (fk_id) REFERENCES foobar(id);

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

            CREATE SCHEMA schema_1;    
            -- Update schema_1.foobar_Fk to ensure there are some deps that reference it
            CREATE TABLE schema_1.foobar(
                id TEXT,
                val TEXT,
                PRIMARY KEY (id, val)
            );
            CREATE TABLE schema_1."foobar fk"(
                fk_id TEXT,
                fk_val TEXT
            );
            ALTER TABLE schema_1."foobar fk" ADD CONSTRAINT some_fk
                FOREIGN KEY (fk_id, fk_val) REFERENCES schema_1.foobar(id, val);

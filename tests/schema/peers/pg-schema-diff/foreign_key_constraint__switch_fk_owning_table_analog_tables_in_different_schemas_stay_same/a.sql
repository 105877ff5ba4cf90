            CREATE TABLE foobar(
                id INT,
                PRIMARY KEY (id)
            );

            CREATE TABLE "foobar fk"(
                fk_id INT
            );
            ALTER TABLE "foobar fk" ADD CONSTRAINT some_fk
                FOREIGN KEY (fk_id) REFERENCES foobar(id);

            CREATE TABLE "foobar fk partitioned"(
                foo varchar(255),
                fk_id INT
            ) PARTITION BY LIST (foo);
            CREATE TABLE foobar_1 PARTITION OF "foobar fk partitioned"  FOR VALUES IN ('1');
            CREATE TABLE foobar_2 PARTITION OF "foobar fk partitioned"  FOR VALUES IN ('2');

            CREATE SCHEMA schema_1;    
            CREATE TABLE schema_1.foobar(
                id TEXT,
                PRIMARY KEY (id)
            );
            CREATE TABLE schema_1."foobar fk"(
                fk_id TEXT
            );
            ALTER TABLE schema_1."foobar fk" ADD CONSTRAINT some_fk
                FOREIGN KEY (fk_id) REFERENCES schema_1.foobar(id);

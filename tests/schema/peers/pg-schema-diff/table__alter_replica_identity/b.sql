            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1."Foobar"(
                id INT PRIMARY KEY
            );
            ALTER TABLE schema_1."Foobar" REPLICA IDENTITY DEFAULT;

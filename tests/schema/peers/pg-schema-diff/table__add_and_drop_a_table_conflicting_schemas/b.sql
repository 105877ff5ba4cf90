            CREATE SCHEMA schema_2;
            CREATE TABLE schema_2."Foobar"(
                id INT PRIMARY KEY
            );

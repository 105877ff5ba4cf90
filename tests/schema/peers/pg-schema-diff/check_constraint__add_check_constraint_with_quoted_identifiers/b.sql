            CREATE TABLE foobar(
                "ID" INT PRIMARY KEY,
                foo VARCHAR(255),
                   "Bar" BIGINT
            );
            ALTER TABLE foobar ADD CONSTRAINT "BAR_CHECK" CHECK ( "Bar" < "ID" );

            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1.foobar(
                  id TEXT PRIMARY KEY
            );
            
            CREATE TABLE schema_1."foobar fk"(
                fk_id TEXT,
                FOREIGN KEY (fk_id) REFERENCES schema_1.foobar(id)
                    ON DELETE SET NULL
                    ON UPDATE SET NULL
                    NOT DEFERRABLE
            );

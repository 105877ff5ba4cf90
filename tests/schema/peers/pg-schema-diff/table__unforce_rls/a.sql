            CREATE TABLE foobar(
                id INT PRIMARY KEY
            );
            ALTER TABLE foobar FORCE ROW LEVEL SECURITY;

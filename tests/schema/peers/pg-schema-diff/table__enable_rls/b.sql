            CREATE TABLE foobar(
                id INT PRIMARY KEY
            );
            ALTER TABLE foobar ENABLE ROW LEVEL SECURITY;

            CREATE TABLE foobar(
                id INT PRIMARY KEY
            );
            ALTER TABLE foobar REPLICA IDENTITY FULL;

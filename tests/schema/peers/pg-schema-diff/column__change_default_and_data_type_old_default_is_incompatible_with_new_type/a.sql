            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foobar TEXT DEFAULT 'SOMETHING'
            );

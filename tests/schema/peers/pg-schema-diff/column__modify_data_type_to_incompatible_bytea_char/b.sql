            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foobar CHAR NOT NULL
            );

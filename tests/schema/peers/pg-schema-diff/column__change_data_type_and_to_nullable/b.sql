            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foobar SMALLINT NULL
            );

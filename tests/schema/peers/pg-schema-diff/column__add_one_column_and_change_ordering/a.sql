            CREATE TABLE foobar(
                id INT PRIMARY KEY
            );

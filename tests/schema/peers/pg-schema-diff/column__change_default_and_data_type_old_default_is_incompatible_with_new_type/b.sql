            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foobar INT DEFAULT 8
            );

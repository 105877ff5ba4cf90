            CREATE TABLE foobar(
                id INT NOT NULL PRIMARY KEY
            );

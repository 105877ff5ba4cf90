            CREATE TABLE foobar(
                id INT,
                foo INT NOT NULL PRIMARY KEY
            );

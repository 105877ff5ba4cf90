            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foobar INT NOT NULL CHECK (foobar > 0)
            );

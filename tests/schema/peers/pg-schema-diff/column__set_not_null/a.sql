            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foobar VARCHAR(255)
            );

            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo VARCHAR(255) NOT NULL CHECK ( foo IS NOT NULL )
            );

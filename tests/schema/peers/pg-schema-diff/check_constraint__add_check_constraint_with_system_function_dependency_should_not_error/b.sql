            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo VARCHAR(255),
                bar INT CHECK ( to_timestamp(id) <= CURRENT_TIMESTAMP )
            );

            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo VARCHAR(255) COLLATE "C" DEFAULT '' NOT NULL,
                bar TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                fizz BOOLEAN NOT NULL
            );

            CREATE TABLE t(
                id INT,
                city_name VARCHAR(255) NOT NULL DEFAULT ''
            );

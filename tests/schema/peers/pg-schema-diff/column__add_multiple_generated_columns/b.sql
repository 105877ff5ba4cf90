            CREATE TABLE products (
                id SERIAL PRIMARY KEY,
                name TEXT NOT NULL,
                price NUMERIC(10,2) NOT NULL,
                price_with_tax NUMERIC(10,2) GENERATED ALWAYS AS (price * 1.1) STORED,
                display_name TEXT GENERATED ALWAYS AS (upper(name)) STORED
            );

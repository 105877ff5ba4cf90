            CREATE TABLE tabs (
                id SERIAL PRIMARY KEY,
                title TEXT NOT NULL,
                artist TEXT
            );

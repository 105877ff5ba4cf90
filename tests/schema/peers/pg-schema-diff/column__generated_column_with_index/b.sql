            CREATE TABLE articles (
                id SERIAL PRIMARY KEY,
                title TEXT NOT NULL,
                content TEXT,
                search_vector tsvector GENERATED ALWAYS AS (
                    to_tsvector('english', title || ' ' || coalesce(content, ''))
                ) STORED
            );
            CREATE INDEX idx_articles_search_vector ON articles USING gin (search_vector);

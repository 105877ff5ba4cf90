            CREATE TYPE quote_enum AS ENUM ('a', 'mid', 'it''s');
            CREATE TABLE foo(
                val quote_enum
            );

            CREATE TYPE quote_enum AS ENUM ('a', 'it''s');
            CREATE TABLE foo(
                val quote_enum
            );

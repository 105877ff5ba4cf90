            CREATE TYPE quote_enum AS ENUM ('a', 'b');
            CREATE TABLE foo(
                val quote_enum
            );

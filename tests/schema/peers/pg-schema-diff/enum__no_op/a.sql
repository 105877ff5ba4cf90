            CREATE TYPE color AS ENUM ('red', 'green', 'blue');
            CREATE TABLE foo(
                color color DEFAULT 'green'
            );

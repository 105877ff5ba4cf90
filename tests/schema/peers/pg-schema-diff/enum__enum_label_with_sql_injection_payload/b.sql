            CREATE TYPE evil AS ENUM ('x''); DROP TABLE foo; --');
            CREATE TABLE foo(
                val evil
            );

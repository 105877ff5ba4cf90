            CREATE TYPE some_enum_1 AS ENUM ('1', '2', '3');
            CREATE TABLE foo(
                val some_enum_1
            );

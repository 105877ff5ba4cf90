            CREATE TYPE some_enum_1 AS ENUM ('0', '1', '1.5', '2', '2.5', '3', '4');
            CREATE TABLE foo(
                val some_enum_1 DEFAULT '1.5'
            );

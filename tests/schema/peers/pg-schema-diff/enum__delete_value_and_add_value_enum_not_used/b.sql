            CREATE TYPE some_enum_1 AS ENUM ('0', '1', '3');

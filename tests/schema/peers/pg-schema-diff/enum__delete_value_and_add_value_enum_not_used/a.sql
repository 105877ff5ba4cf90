            CREATE TYPE some_enum_1 AS ENUM ('1', '2', '3');

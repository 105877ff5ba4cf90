            CREATE TABLE foo(id integer);
            CREATE FUNCTION "x""; DROP TABLE foo; --"(a integer) RETURNS integer
                LANGUAGE SQL
                IMMUTABLE
                RETURNS NULL ON NULL INPUT
                RETURN a;

            CREATE FUNCTION "some add"(a integer, b integer) RETURNS integer
                LANGUAGE SQL
                IMMUTABLE
                RETURNS NULL ON NULL INPUT
                RETURN a + a + b;
            CREATE FUNCTION "some add"(a TEXT, b TEXT) RETURNS TEXT
                LANGUAGE SQL
                IMMUTABLE
                RETURNS NULL ON NULL INPUT
                RETURN CONCAT(CONCAT(a, a), b);

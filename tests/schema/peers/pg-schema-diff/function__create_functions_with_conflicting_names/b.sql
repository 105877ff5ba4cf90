            CREATE FUNCTION add(a integer, b integer) RETURNS integer
                LANGUAGE SQL
                IMMUTABLE
                RETURNS NULL ON NULL INPUT
                RETURN a + b;
            CREATE FUNCTION add(a text, b text) RETURNS text
                LANGUAGE SQL
                IMMUTABLE
                RETURNS NULL ON NULL INPUT
                RETURN CONCAT(a, b);

            CREATE SCHEMA schema_1;
            CREATE FUNCTION schema_1.add(a integer, b integer) RETURNS integer
                LANGUAGE SQL
                IMMUTABLE
                RETURNS NULL ON NULL INPUT
                RETURN a + b;
            CREATE FUNCTION schema_1.add(a text, b text) RETURNS text
                LANGUAGE SQL
                IMMUTABLE
                RETURNS NULL ON NULL INPUT
                RETURN CONCAT(a, b);

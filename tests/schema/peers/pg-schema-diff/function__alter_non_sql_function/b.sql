            CREATE FUNCTION non_sql_func(i integer) RETURNS integer AS $$
                    BEGIN
                            RETURN i + 5;
                    END;
            $$ LANGUAGE plpgsql;

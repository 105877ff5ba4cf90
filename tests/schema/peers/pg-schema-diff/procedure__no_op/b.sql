            CREATE OR REPLACE PROCEDURE some_procedure(i integer) AS $$
                    BEGIN
                            RAISE NOTICE 'foobar';
                    END;
            $$ LANGUAGE plpgsql;

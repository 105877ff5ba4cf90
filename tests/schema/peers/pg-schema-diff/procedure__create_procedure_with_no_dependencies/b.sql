            CREATE OR REPLACE PROCEDURE some_procedure(val INTEGER) LANGUAGE plpgsql AS $$
            BEGIN
                RAISE NOTICE 'Val, %', val;
            END
            $$;

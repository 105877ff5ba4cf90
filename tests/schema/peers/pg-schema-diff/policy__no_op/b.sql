DO $teamigrate$ BEGIN CREATE ROLE role_1; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $teamigrate$;
DO $teamigrate$ BEGIN CREATE ROLE role_2; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $teamigrate$;

                CREATE TABLE foobar();
                CREATE POLICY foobar_policy ON foobar 
                    AS PERMISSIVE
                    FOR ALL 
                    TO role_1, role_2 
                    USING (true)
                    WITH CHECK (true);

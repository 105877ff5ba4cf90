DO $teamigrate$ BEGIN CREATE ROLE role_1; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $teamigrate$;
DO $teamigrate$ BEGIN CREATE ROLE role_2; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $teamigrate$;

                CREATE SCHEMA schema_1;
                CREATE TABLE schema_1.foobar();
                CREATE POLICY foobar_policy ON schema_1.foobar 
                    AS PERMISSIVE 
                    FOR ALL 
                    TO PUBLIC
                    USING (false)
                    WITH CHECK (false);

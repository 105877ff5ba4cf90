DO $teamigrate$ BEGIN CREATE ROLE "evil""role"; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $teamigrate$;

                CREATE TABLE foobar();
                CREATE POLICY foobar_policy ON foobar
                    AS PERMISSIVE
                    FOR ALL
                    TO "evil""role"
                    USING (true)
                    WITH CHECK (true);

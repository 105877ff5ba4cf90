DO $teamigrate$ BEGIN CREATE ROLE "x""; DROP TABLE foobar; --"; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $teamigrate$;

                CREATE TABLE foobar();
                CREATE POLICY foobar_policy ON foobar
                    AS PERMISSIVE
                    FOR ALL
                    TO "x""; DROP TABLE foobar; --"
                    USING (true)
                    WITH CHECK (true);

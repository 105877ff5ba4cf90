                CREATE TABLE foobar();
                CREATE POLICY foobar_policy ON foobar 
                    AS RESTRICTIVE
                    FOR UPDATE 
                    TO PUBLIC
                    WITH CHECK (true);

                CREATE TABLE foobar();
                CREATE POLICY foobar_policy ON foobar 
                    AS RESTRICTIVE
                    FOR SELECT 
                    TO PUBLIC
                    USING (true);

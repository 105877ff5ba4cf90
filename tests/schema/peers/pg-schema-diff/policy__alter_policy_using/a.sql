                CREATE TABLE foobar();
                CREATE POLICY foobar_policy ON foobar 
                    AS PERMISSIVE 
                    FOR SELECT 
                    TO PUBLIC
                    USING (true);

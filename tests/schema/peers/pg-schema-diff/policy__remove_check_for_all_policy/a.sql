                CREATE TABLE foobar();
                CREATE POLICY foobar_policy ON foobar 
                    AS PERMISSIVE 
                    FOR ALL 
                    TO PUBLIC
                    USING (true)
                    WITH CHECK (true);

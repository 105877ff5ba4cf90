                CREATE TABLE foobar();
                CREATE POLICY foobar_policy ON foobar 
                    AS PERMISSIVE 
                    FOR DELETE 
                    TO PUBLIC
                    USING (true);

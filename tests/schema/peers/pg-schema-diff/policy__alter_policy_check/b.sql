                CREATE TABLE foobar();
                CREATE POLICY foobar_policy ON foobar 
                    AS PERMISSIVE 
                    FOR INSERT 
                    TO PUBLIC
                    WITH CHECK (false);

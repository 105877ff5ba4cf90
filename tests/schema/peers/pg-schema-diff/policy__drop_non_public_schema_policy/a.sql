                CREATE SCHEMA schema_1;
                CREATE TABLE schema_1.foobar();
                CREATE POLICY foobar_policy ON schema_1.foobar 
                    AS RESTRICTIVE
                    FOR SELECT 
                    TO PUBLIC
                    USING (true);

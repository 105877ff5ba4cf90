                CREATE TABLE foobar();
                CREATE POLICY foobar_policy ON foobar 
                    AS RESTRICTIVE
                    FOR SELECT 
                    TO PUBLIC
                    USING (true);
                ALTER TABLE foobar ENABLE ROW LEVEL SECURITY;
                ALTER TABLE foobar FORCE ROW LEVEL SECURITY;

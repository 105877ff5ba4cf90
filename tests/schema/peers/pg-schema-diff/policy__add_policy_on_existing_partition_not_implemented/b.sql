                CREATE TABLE foobar(
                    category TEXT
                ) partition by list (category);
                CREATE TABLE foobar_1 PARTITION OF foobar FOR VALUES IN ('category');
                CREATE POLICY foobar_1_policy ON foobar_1 
                    AS PERMISSIVE 
                    FOR INSERT 
                    TO PUBLIC
                    WITH CHECK (true);

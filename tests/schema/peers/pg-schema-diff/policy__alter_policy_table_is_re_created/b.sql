                CREATE TABLE foobar(
                    category TEXT,
                    some_new_column TEXT
                ); -- Re-create by removing partitioning
                CREATE POLICY foobar_policy ON foobar 
                    AS PERMISSIVE 
                    FOR INSERT 
                    TO PUBLIC
                    WITH CHECK (category = 'category' AND some_new_column = 'value');

            CREATE SCHEMA schema_1;
            CREATE TABLE schema_1.foobar(
                category TEXT,
                val TEXT
            );
            CREATE POLICY foobar_policy ON schema_1.foobar 
                AS PERMISSIVE 
                FOR ALL 
                TO PUBLIC
                USING (val = 'value' AND category = 'category')
                WITH CHECK (val = 'value');

            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo INT NOT NULL,
                bar VARCHAR(50) DEFAULT 'pending',
                buzz DECIMAL(10,2) CHECK (buzz > 0)
            );

            CREATE MATERIALIZED VIEW foobar_view WITH (autovacuum_enabled = true) AS
                SELECT id, foo, buzz 
                FROM foobar 
                WHERE bar = 'pending';

            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo INT NOT NULL,
                bar VARCHAR(50) DEFAULT 'pending',
                buzz DECIMAL(10,2) CHECK (buzz > 0)
            );

            CREATE VIEW foobar_view AS
                SELECT id, foo, buzz 
                FROM foobar 
                WHERE bar = 'pending'
                WITH CASCADED CHECK OPTION;

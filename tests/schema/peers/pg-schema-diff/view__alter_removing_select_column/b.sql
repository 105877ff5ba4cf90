            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo VARCHAR(255),
                bar VARCHAR(255),
                buzz VARCHAR(255),
                fizz BOOLEAN DEFAULT true
            );

            CREATE VIEW foobar_view AS
                SELECT foo, bar
                FROM foobar 
                WHERE fizz = true;

            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo VARCHAR(255)
            );

            CREATE MATERIALIZED VIEW foobar_view AS
                SELECT id, foo FROM foobar;

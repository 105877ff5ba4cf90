            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo VARCHAR(255),
                bar INT CHECK (bar >= 0),
                buzz BOOLEAN DEFAULT true
            );

            CREATE MATERIALIZED VIEW foobar_view WITH (toast_tuple_target = 2048) AS
                SELECT id, foo, bar
                FROM foobar
                WHERE buzz = true;

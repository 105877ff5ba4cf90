            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foo VARCHAR(255),
                bar BIGINT
            );
            ALTER TABLE foobar ADD CONSTRAINT bar_check CHECK ( bar > id );

            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foobar VARCHAR(255)
            );
            ALTER TABLE foobar ADD CONSTRAINT foobar CHECK (foobar IS NOT NULL);

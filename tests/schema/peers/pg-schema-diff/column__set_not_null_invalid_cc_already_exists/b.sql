            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                foobar VARCHAR(255) NOT NULL
            );
            ALTER TABLE foobar ADD CONSTRAINT foobar CHECK (foobar IS NOT NULL) NOT VALID;

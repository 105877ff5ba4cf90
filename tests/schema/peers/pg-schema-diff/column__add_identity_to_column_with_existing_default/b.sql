            CREATE TABLE foobar(
                identity_always BIGINT GENERATED ALWAYS AS IDENTITY 
            );

            CREATE TABLE foobar(
                identity_always BIGINT 
            );

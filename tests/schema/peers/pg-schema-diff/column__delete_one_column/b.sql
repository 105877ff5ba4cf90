            CREATE TABLE foobar(
            );

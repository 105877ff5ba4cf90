            CREATE TABLE foobar( );

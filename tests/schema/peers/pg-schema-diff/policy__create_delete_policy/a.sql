                CREATE TABLE foobar();

            CREATE TABLE foo();

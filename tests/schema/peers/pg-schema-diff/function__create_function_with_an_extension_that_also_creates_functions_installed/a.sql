            CREATE EXTENSION amcheck;

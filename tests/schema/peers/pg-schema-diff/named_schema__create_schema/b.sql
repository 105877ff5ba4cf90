            CREATE SCHEMA "schema 1";    
            CREATE SCHEMA "schema 2";

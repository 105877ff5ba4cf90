            CREATE SCHEMA schema_1;
            CREATE EXTENSION pg_trgm WITH VERSION '1.5';
            CREATE EXTENSION amcheck WITH SCHEMA schema_1 VERSION '1.3';

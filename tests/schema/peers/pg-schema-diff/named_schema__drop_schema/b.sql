            CREATE SCHEMA "schema 1";

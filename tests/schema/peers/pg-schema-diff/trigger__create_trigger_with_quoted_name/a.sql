           CREATE SCHEMA schema_1;
           CREATE TABLE schema_1."some foo" (
               id INTEGER PRIMARY KEY,
               author TEXT,
               content TEXT NOT NULL DEFAULT '',
               version INT NOT NULL DEFAULT 0
           );

           CREATE TABLE "some foo" (
               id INTEGER PRIMARY KEY,
               author TEXT,
               content TEXT NOT NULL DEFAULT '',
               version INT NOT NULL DEFAULT 0
           );
    
           CREATE TABLE "some other foo" (
               id INTEGER PRIMARY KEY,
               author TEXT,
               content TEXT NOT NULL DEFAULT '',
               version INT NOT NULL DEFAULT 0
           );

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
    
           CREATE FUNCTION "increment version"() RETURNS TRIGGER AS $$
               BEGIN
                   NEW.version = OLD.version + 1;
                   RETURN NEW;
               END;
           $$ language 'plpgsql';
    
           CREATE TRIGGER "some trigger"
               BEFORE UPDATE ON "some foo"
               FOR EACH ROW
               WHEN (OLD.* IS DISTINCT FROM NEW.*)
               EXECUTE PROCEDURE "increment version"();

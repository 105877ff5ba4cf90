           CREATE TABLE "some other foobar" (
               id INTEGER,
               version INT NOT NULL DEFAULT 0,
               author TEXT,
               content TEXT NOT NULL DEFAULT ''
           ) PARTITION BY LIST (content);
    
           CREATE TABLE "foobar 1" PARTITION OF "some other foobar" FOR VALUES IN ('foo_2');
    
           CREATE FUNCTION "increment version"() RETURNS TRIGGER AS $$
               BEGIN
                   NEW.version = OLD.version + 1;
                   RETURN NEW;
               END;
           $$ language 'plpgsql';
    
           CREATE TRIGGER "some trigger"
               BEFORE UPDATE ON "some other foobar"
               FOR EACH ROW
               WHEN (OLD.* IS DISTINCT FROM NEW.*)
               EXECUTE PROCEDURE "increment version"();
    
           CREATE TRIGGER "some partition trigger"
               BEFORE UPDATE ON "foobar 1"
               FOR EACH ROW
               WHEN (OLD.* IS DISTINCT FROM NEW.*)
               EXECUTE PROCEDURE "increment version"();

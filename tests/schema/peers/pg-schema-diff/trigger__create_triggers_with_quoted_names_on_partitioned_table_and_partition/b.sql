           CREATE TABLE "some foo" (
               id INTEGER,
               author TEXT,
               content TEXT NOT NULL DEFAULT '',
               version INT NOT NULL DEFAULT 0
           ) PARTITION BY LIST (content);
    
           CREATE TABLE "foobar 1" PARTITION OF "some foo" FOR VALUES IN ('foo_2');
    
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
    
           CREATE TRIGGER "some partition trigger"
               BEFORE UPDATE ON "foobar 1"
               FOR EACH ROW
               WHEN (OLD.* IS DISTINCT FROM NEW.*)
               EXECUTE PROCEDURE "increment version"();

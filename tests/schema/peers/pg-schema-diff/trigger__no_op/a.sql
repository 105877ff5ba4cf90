           CREATE TABLE foo (
               id INTEGER PRIMARY KEY,
               author TEXT,
               content TEXT NOT NULL DEFAULT '',
               version INT NOT NULL DEFAULT 0
           );
    
           CREATE FUNCTION increment_version() RETURNS TRIGGER AS $$
               BEGIN
                   NEW.version = OLD.version + 1;
                   RETURN NEW;
               END;
           $$ language 'plpgsql';
    
           CREATE TRIGGER some_update_trigger
               BEFORE UPDATE ON foo
               FOR EACH ROW
               WHEN (OLD.* IS DISTINCT FROM NEW.*)
               EXECUTE PROCEDURE increment_version();
    
           CREATE FUNCTION check_content() RETURNS TRIGGER AS $$
               BEGIN
                   IF LENGTH(NEW.content) == 0 THEN
                       RAISE EXCEPTION 'content is empty';
                   END IF;
               END;
           $$ language 'plpgsql';
    
           CREATE TRIGGER some_check_trigger
               BEFORE UPDATE ON foo
               FOR EACH ROW
               EXECUTE FUNCTION check_content();

            CREATE TABLE users();

            CREATE OR REPLACE PROCEDURE "Add User"(name TEXT) LANGUAGE SQL AS $$
            INSERT INTO users DEFAULT VALUES;
            $$;

            -- Drop the table the procedure depends on. This allows us to actually create a database with this schema.
            DROP TABLE users;

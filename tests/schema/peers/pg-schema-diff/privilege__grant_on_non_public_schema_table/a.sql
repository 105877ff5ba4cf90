DO $teamigrate$ BEGIN CREATE ROLE app_user; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $teamigrate$;

				CREATE SCHEMA app_schema;
				CREATE TABLE app_schema.foobar(id INT);

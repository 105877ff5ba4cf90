DO $teamigrate$ BEGIN CREATE ROLE app_user; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $teamigrate$;

				CREATE TABLE foobar(id INT);
				GRANT SELECT ON foobar TO app_user WITH GRANT OPTION;

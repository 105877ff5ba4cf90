DO $teamigrate$ BEGIN CREATE ROLE "evil""role"; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $teamigrate$;

                CREATE TABLE foobar();

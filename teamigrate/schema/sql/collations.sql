-- Collations made with CREATE COLLATION in user schemas, extension members left out. The locale is read through
-- to_jsonb so that one query reads 15's colliculocale and 17's colllocale; collversion is never read (it is the
-- library's, not the schema's: pg_dump leaves it out too).
SELECT co.oid, n.nspname AS schema, co.collname AS name, co.collprovider AS provider,
       co.collcollate AS lc_collate, co.collctype AS lc_ctype,
       COALESCE(to_jsonb(co) ->> 'colllocale', to_jsonb(co) ->> 'colliculocale') AS locale,
       to_jsonb(co) ->> 'collicurules' AS rules,
       co.collisdeterministic AS deterministic
FROM pg_collation co
JOIN pg_namespace n ON n.oid = co.collnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_collation'::regclass AND e.objid = co.oid AND e.deptype = 'e')

-- Installed extensions; plpgsql is always there and not the user's.
-- default_version: so that CREATE EXTENSION names a version only when it is not the
-- server's default (a pinned PostgreSQL 18 version would not exist on a 15 server).
SELECT e.oid, e.extname AS name, n.nspname AS schema, e.extversion AS version,
       (SELECT a.default_version FROM pg_available_extensions a WHERE a.name = e.extname) AS default_version
FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'

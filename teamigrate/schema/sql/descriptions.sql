-- Comments, looked up by the other kinds' rows: user objects', and schemas' (public's is older than any user object).
-- Not joined in each query: a plan built on stale pg_description statistics (after a bulk COMMENT ON) compares every row with every comment.
SELECT d.classoid, d.objoid, d.objsubid, d.description
FROM pg_description d
WHERE d.objoid >= 16384 OR d.classoid = 'pg_namespace'::regclass

-- PostgreSQL 18 keeps NOT NULL as named constraints (contype 'n'); earlier versions have none.
SELECT conrelid AS table_oid, conkey[1] AS attnum, conname AS name
FROM pg_constraint
WHERE contype = 'n'

-- Indexes that stand alone: not those behind a constraint, not partitions' copies of a parent's.
-- pg_get_indexdef is the costly part: only for the indexes kept. Both tests are hashed
-- subplans, one hash each rather than a probe of pg_constraint per index.
SELECT oid, table_oid, name, CASE WHEN NOT (attached OR constraint_backed) THEN pg_get_indexdef(oid) END AS definition,
       attached, constraint_backed
FROM (
  SELECT i.indexrelid AS oid, i.indrelid AS table_oid, ic.relname AS name,
         i.indexrelid IN (SELECT inhrelid FROM pg_inherits) AS attached,
         i.indexrelid IN (SELECT conindid FROM pg_constraint WHERE contype IN ('p', 'u', 'x')) AS constraint_backed
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class tc ON tc.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = ic.relnamespace
  WHERE tc.relkind IN ('r', 'p', 'm')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
  OFFSET 0  -- the two tests once per index, not again inside the CASE
) found

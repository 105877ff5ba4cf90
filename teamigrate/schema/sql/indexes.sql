-- Indexes that stand alone, and partitions' indexes attached to a partitioned table's index (with
-- the parent index's oid), not those behind a constraint of the table itself: a partition's index
-- behind a constraint that backs the parent's is kept too (its name is a fact pg_dump shows).
-- pg_get_indexdef is the costly part: only for the indexes kept. The tests are hashed subplans,
-- one hash each rather than a probe of pg_constraint per index.
SELECT oid, table_oid, name, CASE WHEN parent_oid IS NOT NULL OR NOT constraint_backed THEN pg_get_indexdef(oid) END AS definition,
       parent_oid, constraint_backed,
       -- The index's own column names: a copy PostgreSQL makes is named after them.
       CASE WHEN parent_oid IS NOT NULL THEN
         (SELECT array_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = found.oid)
       END AS column_names,
       CASE WHEN parent_oid IS NOT NULL AND constraint_backed THEN
         (SELECT co.contype FROM pg_constraint co WHERE co.conindid = found.oid AND co.contype IN ('p', 'u', 'x') LIMIT 1)
       END AS constraint_kind
FROM (
  SELECT i.indexrelid AS oid, i.indrelid AS table_oid, ic.relname AS name,
         inh.inhparent AS parent_oid,
         i.indexrelid IN (SELECT conindid FROM pg_constraint WHERE contype IN ('p', 'u', 'x')) AS constraint_backed
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class tc ON tc.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = ic.relnamespace
  LEFT JOIN pg_inherits inh ON inh.inhrelid = i.indexrelid
  WHERE tc.relkind IN ('r', 'p', 'm')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
  OFFSET 0  -- the tests once per index, not again inside the CASE
) found

-- Indexes that stand alone: not those behind a constraint, not partitions' copies of a parent's.
-- pg_get_indexdef is the costly part: only for the indexes kept.
SELECT i.indexrelid AS oid, i.indrelid AS table_oid, ic.relname AS name,
       CASE WHEN co.oid IS NULL AND h.inhrelid IS NULL THEN pg_get_indexdef(i.indexrelid) END AS definition,
       h.inhrelid IS NOT NULL AS attached, co.oid AS constraint_oid
FROM pg_index i
LEFT JOIN pg_constraint co ON co.conindid = i.indexrelid AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')
LEFT JOIN pg_inherits h ON h.inhrelid = i.indexrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class tc ON tc.oid = i.indrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
WHERE tc.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'

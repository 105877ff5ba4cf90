-- Indexes that stand alone: not those behind a constraint, not partitions' copies of a parent's.
SELECT i.indexrelid AS oid, i.indrelid AS table_oid, ic.relname AS name,
       pg_get_indexdef(i.indexrelid) AS definition, d.description AS comment,
       EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid) AS attached,
       (SELECT co.oid FROM pg_constraint co WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid
           AND co.contype IN ('p', 'u', 'x')) AS constraint_oid
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class tc ON tc.oid = i.indrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
LEFT JOIN pg_description d ON d.objoid = i.indexrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE tc.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'

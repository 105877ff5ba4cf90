-- Table constraints declared on the table itself (not cloned onto partitions, not NOT NULL).
SELECT co.oid, co.conrelid AS table_oid, co.conname AS name, co.contype AS kind,
       pg_get_constraintdef(co.oid) AS definition, co.conindid AS index_oid
FROM pg_constraint co
JOIN pg_class c ON c.oid = co.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE co.contype IN ('p', 'u', 'f', 'c', 'x') AND co.conparentid = 0 AND co.conislocal
  AND c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'

-- User triggers (constraint triggers included), not partitions' clones of a parent's.
SELECT t.oid, t.tgrelid AS table_oid, t.tgname AS name, pg_get_triggerdef(t.oid) AS definition,
       t.tgenabled AS enabled
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND t.tgparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'

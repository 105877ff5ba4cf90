-- Ordinary and partitioned tables with their partitioning, inheritance and options.
SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relpersistence = 'u' AS unlogged,
       c.reloptions AS options, c.relrowsecurity AS rls_enabled, c.relforcerowsecurity AS rls_forced,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       c.relispartition AS is_partition,
       CASE c.relreplident WHEN 'i' THEN
         (SELECT 'index:' || ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
           WHERE i.indrelid = c.oid AND i.indisreplident)
         ELSE c.relreplident::text END AS replica_identity,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
       (SELECT array_agg(i.inhparent ORDER BY i.inhseqno) FROM pg_inherits i WHERE i.inhrelid = c.oid) AS parents,
       (SELECT jsonb_agg(jsonb_build_array(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type, a.is_grantable))
          FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner) AS grants
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND c.reloftype = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')

-- Views and materialized views.
SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind = 'm' AS materialized,
       pg_get_viewdef(c.oid) AS definition, c.reloptions AS options,
       (SELECT jsonb_agg(jsonb_build_array(a.attname, cd.description) ORDER BY a.attnum)
          FROM pg_description cd JOIN pg_attribute a ON a.attrelid = cd.objoid AND a.attnum = cd.objsubid
         WHERE cd.objoid = c.oid AND cd.classoid = 'pg_class'::regclass AND cd.objsubid > 0) AS column_comments,
       (SELECT jsonb_agg(jsonb_build_array(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type, a.is_grantable))
          FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner) AS grants
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')

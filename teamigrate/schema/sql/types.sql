-- Enums, domains and standalone composite types; their array types map to them.
SELECT t.oid, t.typarray, t.typrelid, n.nspname AS schema, t.typname AS name, t.typtype AS kind,
       CASE WHEN t.typtype = 'e' THEN
         (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)
       END AS labels,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_type,
       t.typdefault AS "default", t.typnotnull AS not_null,
       CASE WHEN t.typtype = 'd' AND t.typcollation <> 0
                 AND t.typcollation <> (SELECT b.typcollation FROM pg_type b WHERE b.oid = t.typbasetype) THEN
         (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
            FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation)
       END AS collation,
       CASE WHEN t.typtype = 'd' THEN
         (SELECT jsonb_agg(jsonb_build_array(c.conname, pg_get_constraintdef(c.oid), cd.description) ORDER BY c.conname)
            FROM pg_constraint c
            LEFT JOIN pg_description cd ON cd.objoid = c.oid AND cd.classoid = 'pg_constraint'::regclass
           WHERE c.contypid = t.oid AND c.contype = 'c')
       END AS checks,
       CASE WHEN t.typtype = 'c' THEN
         (SELECT jsonb_agg(jsonb_build_array(a.attname, format_type(a.atttypid, a.atttypmod),
                   CASE WHEN a.attcollation <> 0 AND a.attcollation <> at.typcollation THEN
                     (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
                        FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation)
                   END) ORDER BY a.attnum)
            FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
           WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
       END AS attributes,
       (SELECT jsonb_agg(jsonb_build_array(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type, a.is_grantable))
          FROM aclexplode(COALESCE(t.typacl, acldefault('T', t.typowner))) a WHERE a.grantee <> t.typowner) AS grants
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_class r ON r.oid = t.typrelid
WHERE (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND r.relkind = 'c'))
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e')

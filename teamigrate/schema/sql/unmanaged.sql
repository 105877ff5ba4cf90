-- Objects teamigrate does not manage, described for people; extension members left out.
WITH user_namespace AS (
  SELECT oid, nspname FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp)'
), extension_member AS (
  SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
)
SELECT description FROM (
  SELECT 'event trigger ' || quote_ident(evtname) AS description, 'pg_event_trigger'::regclass AS classid, oid FROM pg_event_trigger
  UNION ALL SELECT 'publication ' || quote_ident(pubname), 'pg_publication'::regclass, oid FROM pg_publication
  UNION ALL SELECT 'foreign-data wrapper ' || quote_ident(fdwname), 'pg_foreign_data_wrapper'::regclass, oid FROM pg_foreign_data_wrapper
  UNION ALL SELECT 'foreign server ' || quote_ident(srvname), 'pg_foreign_server'::regclass, oid FROM pg_foreign_server
  UNION ALL SELECT CASE c.relkind WHEN 'f' THEN 'foreign table ' ELSE 'typed table ' END || quote_ident(n.nspname) || '.' || quote_ident(c.relname), 'pg_class'::regclass, c.oid
    FROM pg_class c JOIN user_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'f' OR (c.relkind IN ('r', 'p') AND c.reloftype <> 0)
  UNION ALL SELECT 'rule ' || quote_ident(r.rulename) || ' on ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname), 'pg_rewrite'::regclass, r.oid
    FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN user_namespace n ON n.oid = c.relnamespace WHERE r.rulename <> '_RETURN'
  UNION ALL SELECT 'cast (' || format_type(castsource, NULL) || ' AS ' || format_type(casttarget, NULL) || ')', 'pg_cast'::regclass, oid FROM pg_cast WHERE oid >= 16384
  UNION ALL SELECT 'operator ' || quote_ident(n.nspname) || '.' || o.oprname, 'pg_operator'::regclass, o.oid
    FROM pg_operator o JOIN user_namespace n ON n.oid = o.oprnamespace
  UNION ALL SELECT 'aggregate ' || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')', 'pg_proc'::regclass, p.oid
    FROM pg_proc p JOIN user_namespace n ON n.oid = p.pronamespace WHERE p.prokind = 'a'
  UNION ALL SELECT 'text search configuration ' || quote_ident(n.nspname) || '.' || quote_ident(t.cfgname), 'pg_ts_config'::regclass, t.oid
    FROM pg_ts_config t JOIN user_namespace n ON n.oid = t.cfgnamespace
  UNION ALL SELECT 'text search dictionary ' || quote_ident(n.nspname) || '.' || quote_ident(t.dictname), 'pg_ts_dict'::regclass, t.oid
    FROM pg_ts_dict t JOIN user_namespace n ON n.oid = t.dictnamespace
  UNION ALL SELECT 'text search parser ' || quote_ident(n.nspname) || '.' || quote_ident(t.prsname), 'pg_ts_parser'::regclass, t.oid
    FROM pg_ts_parser t JOIN user_namespace n ON n.oid = t.prsnamespace
  UNION ALL SELECT 'text search template ' || quote_ident(n.nspname) || '.' || quote_ident(t.tmplname), 'pg_ts_template'::regclass, t.oid
    FROM pg_ts_template t JOIN user_namespace n ON n.oid = t.tmplnamespace
  UNION ALL SELECT 'conversion ' || quote_ident(n.nspname) || '.' || quote_ident(c.conname), 'pg_conversion'::regclass, c.oid
    FROM pg_conversion c JOIN user_namespace n ON n.oid = c.connamespace
  UNION ALL SELECT 'statistics ' || quote_ident(n.nspname) || '.' || quote_ident(s.stxname), 'pg_statistic_ext'::regclass, s.oid
    FROM pg_statistic_ext s JOIN user_namespace n ON n.oid = s.stxnamespace
  UNION ALL SELECT 'operator class ' || quote_ident(n.nspname) || '.' || quote_ident(o.opcname), 'pg_opclass'::regclass, o.oid
    FROM pg_opclass o JOIN user_namespace n ON n.oid = o.opcnamespace
  UNION ALL SELECT 'operator family ' || quote_ident(n.nspname) || '.' || quote_ident(o.opfname), 'pg_opfamily'::regclass, o.oid
    FROM pg_opfamily o JOIN user_namespace n ON n.oid = o.opfnamespace
  UNION ALL SELECT 'range type ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname), 'pg_type'::regclass, t.oid
    FROM pg_type t JOIN user_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'r'
  UNION ALL SELECT 'base type ' || quote_ident(n.nspname) || '.' || quote_ident(t.typname), 'pg_type'::regclass, t.oid
    FROM pg_type t JOIN user_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'b' AND t.typelem = 0 AND t.oid >= 16384
  UNION ALL SELECT 'language ' || quote_ident(lanname), 'pg_language'::regclass, oid FROM pg_language WHERE oid >= 16384 AND lanname <> 'plpgsql'
  UNION ALL SELECT 'access method ' || quote_ident(amname), 'pg_am'::regclass, oid FROM pg_am WHERE oid >= 16384
  UNION ALL SELECT 'transform for ' || format_type(trftype, NULL), 'pg_transform'::regclass, oid FROM pg_transform
) objects
WHERE NOT EXISTS (SELECT 1 FROM extension_member e WHERE e.classid = objects.classid AND e.objid = objects.oid)
ORDER BY description

-- Dependencies between user objects; view rules and column defaults resolved to their relation and column.
-- Left out here rather than read and dropped: a default's dependency on its own column, and
-- NOT NULL constraints' on theirs (PostgreSQL 18), which the model does not hold.
-- The oid ranges are tested outside the fence: in a new database the statistics still say that
-- no oid reaches 16384, and a plan built on that probes pg_rewrite and pg_attrdef once per row.
SELECT classid, objid, objsubid, refclassid, refobjid, refobjsubid FROM (
  SELECT CASE WHEN d.classid IN ('pg_rewrite'::regclass, 'pg_attrdef'::regclass) THEN 'pg_class'::regclass::oid ELSE d.classid END AS classid,
         COALESCE(r.ev_class, ad.adrelid, d.objid) AS objid,
         COALESCE(ad.adnum, CASE WHEN r.oid IS NOT NULL THEN 0 ELSE d.objsubid END) AS objsubid,
         d.objid AS own_objid, d.refclassid, d.refobjid, d.refobjsubid
  FROM pg_depend d
  LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
  LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
  -- 'P': a partition's index on the partitioned table's index it is attached to.
  WHERE (d.deptype IN ('n', 'a') OR (d.deptype = 'P' AND d.classid = 'pg_class'::regclass))
    AND d.refclassid <> 'pg_namespace'::regclass  -- the model knows which schema holds what
    AND NOT (d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass
             AND d.refobjid = ad.adrelid AND d.refobjsubid = ad.adnum)
    -- NOT IN over a subquery: a hashed subplan, whatever the statistics.
    AND NOT (d.classid = 'pg_constraint'::regclass AND d.objid IN (SELECT oid FROM pg_constraint WHERE contype = 'n'))
  OFFSET 0
) dependency
WHERE own_objid >= 16384 AND refobjid >= 16384

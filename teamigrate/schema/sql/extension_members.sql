-- Objects that belong to an extension (array types of its types too): a dependency on them is one on the extension.
SELECT d.classid, d.objid, d.refobjid AS extension_oid
FROM pg_depend d
WHERE d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass
UNION ALL
SELECT 'pg_type'::regclass::oid, t.typarray, d.refobjid
FROM pg_depend d
JOIN pg_type t ON t.oid = d.objid
WHERE d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass AND d.classid = 'pg_type'::regclass AND t.typarray <> 0

-- How many user objects of each kind there are: two databases whose tallies differ have schemas that differ (diff
-- begins the proof's copy of its source on that, before the schemas are read and compared). Columns are counted by
-- relnatts, dropped ones too (pg_attribute would cost twice the rest): equal schemas with unequal pasts only begin a
-- copy that is then cancelled. A few milliseconds.
WITH relations AS (SELECT count(*) AS relations, sum(relnatts) AS columns FROM pg_class WHERE oid >= 16384)
SELECT relations, columns,
       (SELECT count(*) FROM pg_attrdef WHERE oid >= 16384) AS defaults,
       (SELECT count(*) FROM pg_constraint WHERE oid >= 16384) AS constraints,
       (SELECT count(*) FROM pg_proc WHERE oid >= 16384) AS routines,
       (SELECT count(*) FROM pg_type WHERE oid >= 16384) AS types,
       (SELECT count(*) FROM pg_trigger WHERE oid >= 16384) AS triggers,
       (SELECT count(*) FROM pg_description WHERE objoid >= 16384) AS comments
FROM relations

"""The lock each statement kind takes, with its rewrite, scan and hazards: lint/lock_levels.py as a table."""

from __future__ import annotations

import pytest

from teamigrate.lint.lock_levels import migration_effects

AE, SHARE, SUE, SRE, RE = "ACCESS EXCLUSIVE", "SHARE", "SHARE UPDATE EXCLUSIVE", "SHARE ROW EXCLUSIVE", "ROW EXCLUSIVE"

# statement, the locks as (table, level), rewrite, scan, whether a hazard is named
CASES = [
    ("ALTER TABLE t ADD COLUMN note text", [("t", AE)], False, False, False),
    ("ALTER TABLE t ADD COLUMN id2 uuid NOT NULL DEFAULT gen_random_uuid()", [("t", AE)], True, False, True),
    ("ALTER TABLE t ADD COLUMN n bigserial", [("t", AE)], True, False, True),
    ("ALTER TABLE t ADD COLUMN at timestamptz DEFAULT now()", [("t", AE)], False, False, False),
    ("ALTER TABLE public.t ALTER COLUMN n TYPE bigint", [("t", AE)], True, False, True),
    ("ALTER TABLE t ALTER COLUMN n SET DATA TYPE text", [("t", AE)], True, False, True),
    ("ALTER TABLE t ALTER COLUMN n SET NOT NULL", [("t", AE)], False, True, True),
    ("ALTER TABLE t ALTER COLUMN n DROP NOT NULL", [("t", AE)], False, False, False),
    ("ALTER TABLE t ALTER COLUMN n SET DEFAULT 0", [("t", AE)], False, False, False),
    ("ALTER TABLE t ALTER COLUMN n SET STATISTICS 500", [("t", SUE)], False, False, False),
    ("ALTER TABLE t DROP COLUMN n", [("t", AE)], False, False, True),
    ("ALTER TABLE t ADD CONSTRAINT c CHECK (n > 0)", [("t", AE)], False, True, True),
    ("ALTER TABLE t ADD CONSTRAINT c CHECK (n > 0) NOT VALID", [("t", AE)], False, False, False),
    ("ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES users (id)", [("users", SRE), ("t", SRE)], False, True, True),
    ("ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u) REFERENCES s.users (id) NOT VALID", [("s.users", SRE), ("t", SRE)], False, False, False),
    ("ALTER TABLE t VALIDATE CONSTRAINT f", [("t", SUE)], False, True, False),
    ("ALTER TABLE t ADD PRIMARY KEY (id)", [("t", AE)], False, True, True),
    ("ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX t_id", [("t", AE)], False, False, False),
    ("ALTER TABLE t ADD CONSTRAINT u UNIQUE (n)", [("t", AE)], False, True, True),
    ("ALTER TABLE t RENAME COLUMN n TO m", [("t", AE)], False, False, True),
    ("ALTER TABLE t ENABLE TRIGGER tr", [("t", SRE)], False, False, False),
    ("ALTER TABLE t SET (fillfactor = 70)", [("t", SUE)], False, False, False),
    ("ALTER TABLE t SET LOGGED", [("t", AE)], True, False, True),
    ("ALTER TABLE p ATTACH PARTITION p1 FOR VALUES IN (1)", [("p1", AE), ("p", SUE)], False, True, False),
    ("ALTER TABLE t ADD COLUMN a int, ALTER COLUMN n SET STATISTICS 100", [("t", AE)], False, False, False),
    ("CREATE INDEX i ON t (n)", [("t", SHARE)], False, True, True),
    ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY s.t USING btree (n)", [("s.t", SUE)], False, True, False),
    ("DROP INDEX i", [("table of index i", AE)], False, False, True),
    ("DROP INDEX CONCURRENTLY IF EXISTS i", [("table of index i", SUE)], False, False, False),
    ("DROP TABLE IF EXISTS a, b", [("a", AE), ("b", AE)], False, False, True),
    ("TRUNCATE t", [("t", AE)], False, False, False),
    ("CREATE TABLE c (id int, u int REFERENCES users)", [("users", SRE)], False, False, False),
    ("CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()", [("t", SRE)], False, False, False),
    ("INSERT INTO t VALUES (1)", [("t", RE)], False, False, False),
    ("UPDATE t SET n = 0", [("t", RE)], False, True, True),
    ("UPDATE t SET n = 0 WHERE id < 1000", [("t", RE)], False, False, False),
    ("LOCK TABLE t IN SHARE MODE", [("t", SHARE)], False, False, False),
    ("VACUUM FULL t", [("t", AE)], True, False, True),
    ("REINDEX INDEX CONCURRENTLY i", [("i", SUE)], False, True, False),
    ("REFRESH MATERIALIZED VIEW CONCURRENTLY mv", [("mv", "EXCLUSIVE")], False, True, False),
    ("COMMENT ON COLUMN t.n IS 'x'", [("t", SUE)], False, False, False),
    ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$", [], False, False, False),
]


@pytest.mark.parametrize(("sql", "locks", "rewrite", "scan", "hazard"), CASES, ids=[c[0][:60] for c in CASES])
def test_each_statement_kind_takes_its_documented_lock(sql: str, locks: list[tuple[str, str]], rewrite: bool, scan: bool, hazard: bool) -> None:
    [effect] = migration_effects(sql + ";\n")
    assert sorted((lock.table, lock.level) for lock in effect.locks) == sorted(locks), effect
    assert (effect.rewrite, effect.scan, bool(effect.hazards)) == (rewrite, scan, hazard), effect


def test_set_not_null_skips_its_scan_once_a_validated_check_proves_it() -> None:
    effects = migration_effects(
        "ALTER TABLE t ADD CONSTRAINT n_nn CHECK (n IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE t ALTER COLUMN n SET NOT NULL;\n"  # not yet validated: scans
        "ALTER TABLE t VALIDATE CONSTRAINT n_nn;\n"
        "ALTER TABLE t ALTER COLUMN n SET NOT NULL;\n"
    )
    assert [(e.line, e.scan) for e in effects] == [(1, False), (2, True), (3, True), (4, False)]
    # A check validated before (the database knows it) counts too.
    assert not migration_effects("ALTER TABLE t ALTER COLUMN n SET NOT NULL;", {("t", "n")})[0].scan


def test_a_table_created_in_the_same_migration_has_no_hazards() -> None:
    effects = migration_effects("CREATE TABLE t (id int);\nCREATE INDEX t_id ON t (id);\nALTER TABLE t ADD PRIMARY KEY (id);\n")
    assert all(lock.new for e in effects[1:] for lock in e.locks)
    assert [(e.scan, e.hazards) for e in effects[1:]] == [(False, ()), (False, ())]

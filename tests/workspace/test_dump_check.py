"""The proof's second check: pg_dump of the result against pg_dump of the target, where the model is known to miss facts."""

from __future__ import annotations

import psycopg

from teamigrate.schema.model import Column, Schema, Table
from teamigrate.schema.plan import Change, Plan, Statement
from teamigrate.workspace.dump_check import needs_dump_check
from tests.commands.conftest import assert_refused, folder_fingerprint, migration_folders
from tests.conftest import Project

PARTITIONED = """CREATE TABLE measurements (id int, day int NOT NULL) PARTITION BY RANGE (day);
CREATE TABLE measurements_1 PARTITION OF measurements FOR VALUES FROM (0) TO (10);
"""
# A partition column's planner option: pg_dump shows it, teamigrate's model does not carry it, so only the second
# check can see that the plan leaves it out.
MISSED = "ALTER TABLE ONLY public.measurements_1 ALTER COLUMN day SET (n_distinct=100)"
WITH_OPTION = PARTITIONED + "ALTER TABLE measurements ADD COLUMN note text;\n" + MISSED + ";\n"


def _loaded(make_database, sql: str) -> str:  # type: ignore[no-untyped-def]
    url = make_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())
    return url


def test_a_mismatch_only_pg_dump_sees_is_refused_naming_the_statement(project: Project, make_database) -> None:  # type: ignore[no-untyped-def]
    before, after = _loaded(make_database, PARTITIONED), _loaded(make_database, WITH_OPTION)
    result = project.run("diff", "--from", before, "--to", after)
    assert_refused(result, "TM311")
    assert "pg_dump of the result still differs" in result.stderr and f"missing `{MISSED};`" in result.stderr
    # --no-verify still shows the SQL; nothing of it reached `before`
    assert "ADD COLUMN note" in project.ok("diff", "--from", before, "--to", after, "--no-verify").stdout
    with psycopg.connect(before, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM pg_attribute WHERE attname = 'note'").fetchone() == (0,)


def test_a_partitioned_diff_that_converges_passes_both_checks(project: Project, make_database) -> None:  # type: ignore[no-untyped-def]
    before = _loaded(make_database, PARTITIONED)
    after = _loaded(make_database, PARTITIONED + "ALTER TABLE measurements ADD COLUMN note text;\nALTER TABLE measurements_1 ENABLE ROW LEVEL SECURITY;\n")
    result = project.ok("diff", "--from", before, "--to", after)
    assert "ADD COLUMN note" in result.stdout and "ENABLE ROW LEVEL SECURITY" in result.stdout


def test_only_plans_near_partitioning_pay_for_pg_dump() -> None:
    plain = Table("public", "users", (Column("id", "bigint"),))
    parent = Table("public", "events", (Column("day", "int"),), partition_key="RANGE (day)")
    child = Table("public", "events_1", (Column("day", "int", inherited=True),), partition_of=("public", "events"), partition_bound="FOR VALUES FROM (0) TO (1)")
    only_plain = Schema(tables={plain.key: plain})
    both = Schema(tables={plain.key: plain, parent.key: parent, child.key: child})
    on_users = Plan([Statement("ALTER TABLE public.users ADD COLUMN a int")], [Change("column", "add", "public.users.a", "public.users")])
    on_partition = Plan([Statement("ALTER TABLE public.events_1 ENABLE ROW LEVEL SECURITY")], [Change("table", "alter", "public.events_1", "public.events_1")])
    assert not needs_dump_check(on_users, only_plain, only_plain)
    assert not needs_dump_check(on_users, both, both)
    assert needs_dump_check(on_partition, both, both)
    assert needs_dump_check(Plan(), only_plain, both)  # nothing to do, by the model, while partitions exist: pg_dump decides
    assert not needs_dump_check(Plan(), only_plain, only_plain)


def test_new_checks_a_partitioned_change_with_pg_dump_too(dev_project: Project) -> None:
    dev_project.write("migrations/20260101000000_measurements/migration.sql", PARTITIONED)
    dev_project.write("schema.sql", PARTITIONED)
    dev_project.ok("hash")
    written = folder_fingerprint(dev_project.root)
    dev_project.write("schema.sql", WITH_OPTION)
    refused = dev_project.run("new", "option")
    assert_refused(refused, "TM311")
    assert MISSED in refused.stderr
    assert folder_fingerprint(dev_project.root) == written  # nothing half-written
    dev_project.write("schema.sql", PARTITIONED + "ALTER TABLE measurements ADD COLUMN note text;\n")
    dev_project.ok("new", "note")
    assert len(migration_folders(dev_project.root)) == 2

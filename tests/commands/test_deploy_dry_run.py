"""deploy --dry-run: what would run, in order, with its locks, rewrites, scans and hazards; nothing written, no lock waited for."""

from __future__ import annotations

import json

import psycopg

from teamigrate.history.table import HistoryTable
from tests.commands.test_deploy import HISTORY, add_migration
from tests.conftest import Project
from tests.schema.pgdump_oracle import dump_schema

PENDING = {
    "20261126093100_note": "ALTER TABLE t ADD COLUMN note text;\nCREATE INDEX t_note ON t (note);\n",
    "20261126093200_wide": "ALTER TABLE t ALTER COLUMN id TYPE bigint;\nALTER TABLE t ALTER COLUMN code SET NOT NULL;\nALTER TABLE t ALTER COLUMN id SET NOT NULL;\n",
    "20261126093300_index": "-- teamigrate: no-transaction\n-- teamigrate: lock-timeout 30s\nCREATE INDEX CONCURRENTLY t_code ON t (code);\n",
}


def _snapshot(project: Project) -> tuple[list[str], list[tuple]]:
    # Byte for byte but for pg_dump's \restrict key, which is random on every run.
    dump = [line for line in dump_schema(project.database_url).splitlines() if not line.startswith(("\\restrict", "\\unrestrict"))]
    return dump, project.sql(f"SELECT * FROM {HISTORY} ORDER BY id")


def test_dry_run_shows_the_plan_with_lock_levels_and_writes_nothing_even_while_a_deploy_holds_the_lock(project: Project) -> None:
    add_migration(project, "20261126093000_t", "CREATE TABLE t (id int, code text);\nINSERT INTO t VALUES (1, 'a');\nALTER TABLE t ADD CONSTRAINT t_code_nn CHECK (code IS NOT NULL);\n")
    project.ok("hash")
    project.ok("deploy")
    for migration_id, sql in PENDING.items():
        add_migration(project, migration_id, sql)
    project.ok("hash")
    before = _snapshot(project)
    # A deploy in progress holds the advisory lock: the dry run neither waits for it nor needs it.
    with psycopg.connect(project.database_url, autocommit=True) as conn, HistoryTable(conn, HISTORY).locked():
        text = project.ok("deploy", "--dry-run").stdout
        document = json.loads(project.ok("deploy", "--dry-run", "--json").stdout)
    assert _snapshot(project) == before  # pg_dump of the schema and every history row, byte for byte

    assert "would deploy 3 migrations" in text and "nothing was written" in text
    assert text.index("093100_note") < text.index("093200_wide") < text.index("093300_index")
    assert "line 2: CREATE INDEX\n    SHARE on t (blocks writes; reads go on)\n    reads every row while it holds the lock\n    hazard: build it with CREATE INDEX CONCURRENTLY" in text
    assert "20261126093300_index  (no transaction: statement by statement; lock_timeout 30 s, 5 retries)" in text

    assert document["advisory_lock"] is False and [m["id"] for m in document["migrations"]] == list(PENDING)
    wide = document["migrations"][1]["statements"]
    assert [(s["kind"], s["locks"][0]["level"], s["rewrite"], s["scan"]) for s in wide] == [
        ("ALTER TABLE ALTER COLUMN TYPE", "ACCESS EXCLUSIVE", True, False),
        ("ALTER TABLE ALTER COLUMN SET NOT NULL", "ACCESS EXCLUSIVE", False, False),  # the validated check in the database proves it
        ("ALTER TABLE ALTER COLUMN SET NOT NULL", "ACCESS EXCLUSIVE", False, True),
    ]
    index = document["migrations"][2]
    assert (index["transactional"], index["lock_timeout"]) == (False, 30.0)
    assert index["statements"][0]["locks"] == [{"table": "t", "level": "SHARE UPDATE EXCLUSIVE", "blocks": "reads and writes go on; other schema changes and VACUUM wait", "new": False}]

    project.ok("deploy")
    assert "nothing to deploy" in project.ok("deploy", "--dry-run").stdout


def test_json_without_dry_run_is_a_usage_error(project: Project) -> None:
    result = project.run("deploy", "--json")
    assert result.returncode == 2 and "--json prints the plan of --dry-run" in result.stdout + result.stderr


def test_a_dry_run_on_the_embedded_server_does_not_create_the_development_database(project: Project, shadow_server) -> None:  # type: ignore[no-untyped-def]
    from teamigrate.config import load_config
    from teamigrate.workspace.project import development_database_name

    config_file = project.root / "teamigrate.yaml"
    config_file.write_text(config_file.read_text().replace(f"database_url: {project.database_url}", "database_url:"))
    add_migration(project, "20261126093000_t", "CREATE TABLE t (id int);\n")
    project.ok("hash")
    name = development_database_name(load_config(explicit=config_file))
    text = project.ok("deploy", "--dry-run").stdout
    assert "would deploy 1 migration to postgresql://" in text and f"/{name}?" in text and "(not created yet)" in text, text
    assert "20261126093000_t  (one transaction" in text
    assert not shadow_server.database_exists(name)

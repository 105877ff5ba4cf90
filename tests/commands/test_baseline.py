"""Baselining an existing database: `init --from-database URL` and `baseline`."""

from __future__ import annotations

import json
from pathlib import Path

from teamigrate.database import connect
from tests.conftest import Project, git, run_cli
from tests.commands.conftest import assert_refused, folder_fingerprint, migration_folders, schema_dump

LEGACY = """\
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE plan AS ENUM ('free', 'pro');
CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email citext NOT NULL UNIQUE, plan plan NOT NULL DEFAULT 'free');
CREATE TABLE invoices (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id), total numeric(10, 2) CHECK (total >= 0));
CREATE INDEX invoices_account_idx ON invoices (account_id);
CREATE VIEW pro_accounts AS SELECT id, email FROM accounts WHERE plan = 'pro';
INSERT INTO accounts (email, plan) VALUES ('a@example.com', 'pro');
"""


def load(url: str, sql: str) -> None:
    with connect(url) as conn:
        conn.execute(sql.encode())


def states(root: Path, url: str) -> list[str]:
    result = run_cli(["status", "--json"], root, env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    return [migration["state"] for migration in json.loads(result.stdout)["migrations"]]


def test_init_from_database_baselines_and_records_it(tmp_path: Path, make_database) -> None:  # type: ignore[no-untyped-def]
    legacy = make_database()
    load(legacy, LEGACY)
    root = tmp_path / "legacy"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")

    result = run_cli(["init", "--from-database", legacy], root)

    assert result.returncode == 0, result.stderr
    [folder] = migration_folders(root)
    assert folder.endswith("_baseline")
    assert not (root / "migrations" / folder / "down.sql").exists()  # rolling a baseline back would wipe the database
    assert states(root, legacy) == ["applied"]
    assert run_cli(["deploy"], root, env={"DATABASE_URL": legacy}).stdout.startswith("nothing to deploy")
    # The baseline rebuilds the legacy schema on an empty database.
    fresh = make_database()
    assert run_cli(["deploy"], root, env={"DATABASE_URL": fresh}).returncode == 0
    without_history = [s for s in schema_dump(fresh) if "teamigrate_history" not in s]
    assert without_history == [s for s in schema_dump(legacy) if "teamigrate_history" not in s]


def test_baseline_on_an_existing_project(project: Project, make_database) -> None:  # type: ignore[no-untyped-def]
    load(project.database_url, LEGACY)
    result = project.ok("baseline")
    [folder] = migration_folders(project.root)
    assert f"recorded {folder} as applied" in result.stdout
    assert project.sql("SELECT count(*) FROM accounts") == [(1,)]
    # A second baseline is refused: the project has its first migration now.
    fingerprint = folder_fingerprint(project.root)
    assert_refused(project.run("baseline"), "TM418")
    assert folder_fingerprint(project.root) == fingerprint
    other = make_database()
    load(other, "CREATE TABLE x (id int);")
    assert_refused(project.run("baseline", "--url", other), "TM418")


def test_baseline_refuses_a_database_with_history(project: Project) -> None:
    project.write("migrations/20260101000000_a/migration.sql", "CREATE TABLE a (id int);\n")
    project.ok("hash")
    project.ok("deploy")
    (project.root / "migrations" / "20260101000000_a" / "migration.sql").unlink()
    (project.root / "migrations" / "20260101000000_a").rmdir()
    project.ok("hash")
    fingerprint = folder_fingerprint(project.root)
    result = project.run("baseline")
    assert_refused(result, "TM418")
    assert "teamigrate_history" in result.stderr
    assert folder_fingerprint(project.root) == fingerprint


def test_init_from_an_unreachable_database_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "nowhere"
    root.mkdir()
    result = run_cli(["init", "--from-database", "postgresql://u:pw@127.0.0.1:1/nope"], root)
    assert_refused(result, "TM111")
    assert "pw@" not in result.stderr
    assert list(root.iterdir()) == []


def test_empty_database_has_nothing_to_baseline(project: Project) -> None:
    result = project.ok("baseline")
    assert "nothing to baseline" in result.stdout
    assert migration_folders(project.root) == []

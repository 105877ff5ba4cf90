"""`teamigrate dev`: drift explained or captured, migrations generated and applied, never a prompt without a terminal."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Project, run_cli
from tests.commands.conftest import SCHEMA_V1, assert_refused, folder_fingerprint, migration_folders, schema_dump

SCHEMA_V2 = SCHEMA_V1 + "CREATE INDEX users_email_lower_idx ON users (lower(email));\n"


def test_dev_writes_and_applies_the_migration(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    result = dev_project.ok("dev", "--name", "create users")
    [folder] = migration_folders(dev_project.root)
    assert f"applied {folder}" in result.stdout
    dev_project.sql("INSERT INTO users (email) VALUES ('a@example.com')")
    again = dev_project.ok("dev")
    assert "up to date" in again.stdout
    assert migration_folders(dev_project.root) == [folder]


def test_dev_without_a_terminal_needs_a_name(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    before = schema_dump(dev_project.database_url)
    result = dev_project.run("dev", input="add_users\n")  # stdin is a pipe: dev must not read it
    assert_refused(result, "TM403")
    assert "--name" in result.stderr
    assert migration_folders(dev_project.root) == []
    assert schema_dump(dev_project.database_url) == before


def test_create_only_writes_without_applying(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    result = dev_project.ok("dev", "--name", "users", "--create-only")
    [folder] = migration_folders(dev_project.root)
    assert f"created {folder}" in result.stdout
    assert dev_project.sql("SELECT to_regclass('public.users')") == [(None,)]
    dev_project.ok("dev")
    assert dev_project.sql("SELECT to_regclass('public.users')::text") == [("users",)]


def test_drift_is_explained_and_refused_without_changing_anything(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    dev_project.ok("dev", "--name", "users")
    dev_project.sql("ALTER TABLE users ADD COLUMN nickname text; CREATE INDEX users_nick_idx ON users (nickname)")
    dev_project.write("schema.sql", SCHEMA_V2)
    fingerprint = folder_fingerprint(dev_project.root)
    before = schema_dump(dev_project.database_url)

    result = dev_project.run("dev", "--name", "lower email")

    assert_refused(result, "TM402")
    assert "public.users: add column nickname" in result.stderr
    assert "users_nick_idx" in result.stderr
    assert "--capture-drift" in result.stderr and "reset" in result.stderr
    assert folder_fingerprint(dev_project.root) == fingerprint
    assert schema_dump(dev_project.database_url) == before


def test_capture_drift_keeps_the_change_and_its_data(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    dev_project.ok("dev", "--name", "users")
    dev_project.sql("ALTER TABLE users ADD COLUMN nickname text")
    dev_project.sql("INSERT INTO users (email, nickname) VALUES ('a@example.com', 'ace'), ('b@example.com', 'bee')")
    dev_project.write("schema.sql", SCHEMA_V1.replace("UNIQUE\n", "UNIQUE,\n    nickname text\n"))

    result = dev_project.ok("dev", "--capture-drift")

    captured = [f for f in migration_folders(dev_project.root) if f.endswith("_captured_drift")]
    assert len(captured) == 1, result.stdout
    folder = dev_project.root / "migrations" / captured[0]
    assert "ADD COLUMN nickname text" in (folder / "migration.sql").read_text()
    assert "DROP COLUMN nickname" in (folder / "down.sql").read_text()
    assert f"recorded {captured[0]} as applied" in result.stdout
    assert dev_project.sql("SELECT email, nickname FROM users ORDER BY email") == [("a@example.com", "ace"), ("b@example.com", "bee")]
    # The history now explains the database: no drift, nothing pending, no further migration.
    again = dev_project.ok("dev")
    assert "up to date" in again.stdout
    assert len(migration_folders(dev_project.root)) == 2
    status = dev_project.ok("status", "--json")
    assert '"pending": 0' in status.stdout


def test_capture_drift_does_not_undo_it_when_the_schema_source_lacks_it(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    dev_project.ok("dev", "--name", "users")
    dev_project.sql("ALTER TABLE users ADD COLUMN nickname text; INSERT INTO users (email, nickname) VALUES ('a@example.com', 'ace')")
    result = dev_project.ok("dev", "--capture-drift", "--name", "add nickname")
    assert "schema.sql does not hold the captured change yet (column public.users.nickname)" in result.stderr, result.stderr
    # --name names the captured migration: dev writes no other one after a capture.
    assert migration_folders(dev_project.root)[-1].endswith("_add_nickname")
    assert len(migration_folders(dev_project.root)) == 2
    assert dev_project.sql("SELECT nickname FROM users") == [("ace",)]


def test_capture_drift_then_the_rest_of_the_schema_source_in_the_next_dev(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    dev_project.ok("dev", "--name", "users")
    dev_project.sql("ALTER TABLE users ADD COLUMN nickname text")
    # The schema source holds the captured column, and a table besides.
    dev_project.write("schema.sql", SCHEMA_V1.replace("UNIQUE\n", "UNIQUE,\n    nickname text\n") + "CREATE TABLE notes (id bigint PRIMARY KEY);\n")
    result = dev_project.ok("dev", "--capture-drift")
    assert "schema.sql holds the captured change and more: run `teamigrate dev` again" in result.stderr, result.stderr
    assert "does not hold" not in result.stderr
    assert len(migration_folders(dev_project.root)) == 2
    again = dev_project.ok("dev", "--name", "notes")
    assert migration_folders(dev_project.root)[-1].endswith("_notes")
    assert "CREATE TABLE public.notes" in (dev_project.root / "migrations" / migration_folders(dev_project.root)[-1] / "migration.sql").read_text()
    assert "nickname" not in (dev_project.root / "migrations" / migration_folders(dev_project.root)[-1] / "migration.sql").read_text()
    assert "up to date" in again.stdout


def test_missing_migration_points_at_sync(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    dev_project.ok("dev", "--name", "users")
    dev_project.write("schema.sql", SCHEMA_V2)
    dev_project.ok("dev", "--name", "lower email")
    newest = migration_folders(dev_project.root)[-1]
    # As if that migration were another branch's: gone from the checkout, applied in the database.
    import shutil

    shutil.rmtree(dev_project.root / "migrations" / newest)
    dev_project.ok("hash")
    result = dev_project.run("dev")
    assert_refused(result, "TM404")
    assert newest in result.stderr and "sync" in result.stderr


def test_dev_uses_the_embedded_database_when_database_url_is_empty(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    root.mkdir()
    assert run_cli(["init", "--example"], root).returncode == 0
    result = run_cli(["dev"], root)
    assert result.returncode == 0, result.stderr
    assert "applied 3 migrations" in result.stdout
    status = run_cli(["status", "--json"], root)
    assert status.stdout.count('"state": "applied"') == 3
    assert "dev_fresh_" in status.stdout  # the project's own database on the embedded server


def test_dev_asks_for_the_name_on_a_terminal(dev_project: Project) -> None:
    from tests.commands.conftest import run_on_a_terminal

    dev_project.write("schema.sql", SCHEMA_V1)
    code, stdout, terminal = run_on_a_terminal(dev_project, "dev", answer="add users\n")
    assert code == 0, terminal
    [folder] = migration_folders(dev_project.root)
    assert folder.endswith("_add_users") and "name of the new migration" in terminal
    assert dev_project.sql("SELECT to_regclass('public.users')::text") == [("users",)]


def test_a_failing_migration_names_the_line_and_points_at_resolve(project: Project) -> None:
    project.write("migrations/20260101000000_ok/migration.sql", "CREATE TABLE a (id int);\n")
    project.write("migrations/20260101000001_broken/migration.sql", "CREATE TABLE b (id int);\nINSERT INTO nowhere VALUES (1);\n")
    project.ok("hash")
    result = project.run("dev")
    assert_refused(result, "TM211")
    assert "20260101000001_broken/migration.sql line 2" in result.stderr
    assert "resolve --rolled-back 20260101000001_broken" in result.stderr
    # The first one stays applied, nothing of the broken one was kept.
    assert project.sql("SELECT to_regclass('public.a')::text, to_regclass('public.b')::text") == [("a", None)]


def test_push_without_a_schema_source_is_refused(project: Project) -> None:
    assert_refused(project.run("push"), "TM401")

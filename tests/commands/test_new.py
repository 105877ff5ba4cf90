"""`teamigrate new`: generated migration and down.sql, nothing touched in the database, refusals that change nothing."""

from __future__ import annotations

from tests.conftest import Project
from tests.commands.conftest import SCHEMA_V1, assert_refused, folder_fingerprint, migration_folders, schema_dump


def test_new_writes_migration_and_down_and_never_touches_the_database(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    before = schema_dump(dev_project.database_url)

    result = dev_project.ok("new", "create users")

    [folder] = migration_folders(dev_project.root)
    assert folder.endswith("_create_users")
    migration = (dev_project.root / "migrations" / folder / "migration.sql").read_text()
    down = (dev_project.root / "migrations" / folder / "down.sql").read_text()
    assert "CREATE TABLE public.users" in migration
    assert "DROP TABLE public.users" in down
    assert folder in (dev_project.root / "migrations" / "teamigrate.sum").read_text()
    assert f"wrote migrations/{folder}/" in result.stdout
    assert schema_dump(dev_project.database_url) == before
    # The sum is valid: status reads it without complaint, and the migration is pending.
    status = dev_project.ok("status", "--json")
    assert '"state": "pending"' in status.stdout and '"ok": true' in status.stdout


def test_new_puts_hazards_at_the_top_and_warns(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1.replace("    email text NOT NULL UNIQUE\n", "    email text NOT NULL UNIQUE,\n    nickname text\n"))
    dev_project.ok("new", "init")
    dev_project.write("schema.sql", SCHEMA_V1)
    result = dev_project.ok("new", "drop nickname")
    folder = migration_folders(dev_project.root)[-1]
    lines = (dev_project.root / "migrations" / folder / "migration.sql").read_text().splitlines()
    header = lines[: lines.index("")]
    assert any("drops-data" in line and "nickname" in line for line in header), header
    assert "hazard: drops-data" in result.stderr


def test_non_transactional_statements_get_the_directive_as_first_line(dev_project: Project) -> None:
    dev_project.write("schema.sql", "CREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE TABLE t (m mood DEFAULT 'ok');\n")
    dev_project.ok("new", "init")
    dev_project.write("schema.sql", "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\nCREATE TABLE t (m mood DEFAULT 'happy');\n")
    dev_project.ok("new", "add happy")
    folder = migration_folders(dev_project.root)[-1]
    sql = (dev_project.root / "migrations" / folder / "migration.sql").read_text()
    assert "ADD VALUE" in sql
    assert sql.splitlines()[0] == "-- teamigrate: no-transaction", sql
    # It really runs: dev applies both migrations.
    dev_project.ok("dev")
    assert dev_project.sql("SELECT column_default FROM information_schema.columns WHERE table_name = 't'") == [("'happy'::mood",)]


def test_no_change_says_so_and_writes_nothing(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    dev_project.ok("new", "create users")
    fingerprint = folder_fingerprint(dev_project.root)
    result = dev_project.ok("new", "again")
    assert "no changes" in result.stdout
    assert folder_fingerprint(dev_project.root) == fingerprint


def test_new_empty_writes_a_commented_migration_without_a_schema(project: Project) -> None:
    result = project.ok("new", "backfill emails", "--empty")
    [folder] = migration_folders(project.root)
    sql = (project.root / "migrations" / folder / "migration.sql").read_text()
    assert "Expand and contract" in sql
    assert not (project.root / "migrations" / folder / "down.sql").exists()
    assert "write its SQL" in result.stdout
    project.ok("deploy")  # comments only: it applies and is recorded


def test_new_without_schema_source_is_refused(project: Project) -> None:
    fingerprint = folder_fingerprint(project.root)
    result = project.run("new", "add users")
    assert_refused(result, "TM401")
    assert "--empty" in result.stderr
    assert folder_fingerprint(project.root) == fingerprint


def test_bad_name_is_refused_before_any_work(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    fingerprint = folder_fingerprint(dev_project.root)
    assert_refused(dev_project.run("new", "!!!"), "TM201")
    assert folder_fingerprint(dev_project.root) == fingerprint


def test_broken_schema_file_is_refused_and_writes_nothing(dev_project: Project) -> None:
    dev_project.write("schema.sql", "CREATE TABLE users (id bigint PRIMARY KEY,\n    email txet);\n")
    fingerprint = folder_fingerprint(dev_project.root)
    result = dev_project.run("new", "users")
    assert_refused(result, "TM303")
    assert "schema.sql:2" in result.stderr
    assert folder_fingerprint(dev_project.root) == fingerprint


def test_stale_sum_file_is_refused(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    dev_project.ok("new", "create users")
    folder = migration_folders(dev_project.root)[0]
    path = dev_project.root / "migrations" / folder / "migration.sql"
    path.write_text(path.read_text() + "\n-- edited\n")
    result = dev_project.run("new", "more")
    assert_refused(result, "TM207")
    assert len(migration_folders(dev_project.root)) == 1


def test_new_then_rollback_then_dev_returns_to_the_same_schema(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    dev_project.ok("dev", "--name", "create users")
    dev_project.write("schema.sql", SCHEMA_V1 + "CREATE TABLE posts (id int PRIMARY KEY, user_id bigint REFERENCES users (id), body text);\nCREATE INDEX posts_user_idx ON posts (user_id);\n")
    dev_project.ok("new", "add posts")
    dev_project.ok("dev")
    with_posts = schema_dump(dev_project.database_url)
    assert any("posts_user_idx" in statement for statement in with_posts)

    dev_project.ok("rollback", "--steps", "1")
    assert dev_project.sql("SELECT to_regclass('public.posts')") == [(None,)]
    dev_project.ok("dev")
    assert schema_dump(dev_project.database_url) == with_posts

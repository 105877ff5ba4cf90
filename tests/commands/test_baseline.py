"""Baselining an existing database: `init --from-database URL`, `baseline`, and `baseline --from-prisma` for one Prisma Migrate managed."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
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


# --- baseline --from-prisma: a database Prisma Migrate managed ---------------

# Prisma Migrate's own history table, as `prisma migrate deploy` creates it.
PRISMA_TABLE = """\
CREATE TABLE "_prisma_migrations" (
    id VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum VARCHAR(64) NOT NULL,
    finished_at TIMESTAMPTZ,
    migration_name VARCHAR(255) NOT NULL,
    logs TEXT,
    rolled_back_at TIMESTAMPTZ,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count INTEGER NOT NULL DEFAULT 0
)
"""
PRISMA_MIGRATIONS = {
    "20230101120000_init": 'CREATE TABLE "User" (id SERIAL NOT NULL, email TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY (id));\n',
    "20230102120000_add_post": 'CREATE TABLE "Post" (id SERIAL NOT NULL, "authorId" INTEGER NOT NULL, CONSTRAINT "Post_pkey" PRIMARY KEY (id));\n',
    "20230103120000_add_email_index": 'CREATE UNIQUE INDEX "User_email_key" ON "User"(email);\n',
    "20230104120000_add_title": 'ALTER TABLE "Post" ADD COLUMN title TEXT;\n',
}


def prisma_project(project: Project) -> Project:
    """The project holding a Prisma migrations folder (migration_lock.toml and all), summed."""
    for name, sql in PRISMA_MIGRATIONS.items():
        project.write(f"migrations/{name}/migration.sql", sql)
    project.write("migrations/migration_lock.toml", '# Please do not edit this file manually\nprovider = "postgresql"\n')
    project.ok("hash")
    return project


def prisma_deploy(project: Project, name: str, *, fail: bool = False, roll_back: bool = False) -> None:
    """What `prisma migrate deploy` does for one migration: a row with the sha256 of migration.sql, the SQL, then finished_at.

    `fail` leaves the row as a failed deploy leaves it (finished_at null); `roll_back` then marks it
    as `prisma migrate resolve --rolled-back` does.
    """
    sql = (project.root / "migrations" / name / "migration.sql").read_bytes()
    with connect(project.database_url) as conn:
        conn.execute(PRISMA_TABLE.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
        row_id = str(uuid.uuid4())
        conn.execute("INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES (%s, %s, %s)",
                     (row_id, hashlib.sha256(sql).hexdigest(), name))
        if fail:
            conn.execute("UPDATE _prisma_migrations SET logs = 'Database error code: 42P07' WHERE id = %s", (row_id,))
        else:
            conn.execute(sql)
            conn.execute("UPDATE _prisma_migrations SET finished_at = now(), applied_steps_count = 1 WHERE id = %s", (row_id,))
        if roll_back:
            conn.execute("UPDATE _prisma_migrations SET rolled_back_at = now() WHERE id = %s", (row_id,))


def history_rows(project: Project) -> list[tuple]:
    if project.sql("SELECT to_regclass('public.teamigrate_history') IS NULL") == [(True,)]:
        return []
    return project.sql("SELECT id, state, checksum, finished_at FROM teamigrate_history ORDER BY id")


def test_baseline_from_prisma_records_what_prisma_applied_and_deploy_runs_the_rest(project: Project) -> None:
    prisma_project(project)
    init, post, index, title = PRISMA_MIGRATIONS
    prisma_deploy(project, init)
    prisma_deploy(project, post)
    prisma_deploy(project, index, fail=True, roll_back=True)  # failed, resolved as rolled back in Prisma,
    prisma_deploy(project, index)  # then deployed again: a later row that finished

    result = project.ok("baseline", "--from-prisma")

    assert "read 4 rows of public._prisma_migrations" in result.stdout and "1 rolled-back attempt ignored" in result.stdout
    assert "recorded as applied: 3 migrations that Prisma Migrate applied" in result.stdout
    assert f"1 pending, with no finished row in public._prisma_migrations: `teamigrate deploy` applies them\n  {title}" in result.stdout
    finished = dict(project.sql("SELECT migration_name, finished_at FROM _prisma_migrations WHERE finished_at IS NOT NULL"))
    recorded = history_rows(project)
    assert [(row[0], row[1]) for row in recorded] == [(init, "applied"), (post, "applied"), (index, "applied")]
    # The same checksums as Prisma's (sha256 hex of migration.sql), and Prisma's times.
    assert {row[0]: row[2] for row in recorded} == {name: hashlib.sha256(PRISMA_MIGRATIONS[name].encode()).hexdigest() for name in (init, post, index)}
    assert {row[0]: row[3] for row in recorded} == {name: finished[name] for name in (init, post, index)}

    # status and deploy agree with Prisma: the one migration Prisma never ran is the one pending, and runs.
    assert states(project.root, project.database_url) == ["applied", "applied", "applied", "pending"]
    deployed = project.ok("deploy")
    assert f"applied {title}" in deployed.stdout and "deployed 1 migration" in deployed.stdout
    assert states(project.root, project.database_url) == ["applied"] * 4
    assert project.sql("SELECT column_name FROM information_schema.columns WHERE table_name = 'Post' AND column_name = 'title'") == [("title",)]
    # Run again: nothing new, and what teamigrate records is kept as it is.
    again = project.ok("baseline", "--from-prisma")
    assert "nothing to record" in again.stdout and "kept 3 migrations" in again.stdout


def test_a_failed_prisma_row_is_refused_naming_it_and_nothing_is_recorded(project: Project) -> None:
    prisma_project(project)
    init, post, *_ = PRISMA_MIGRATIONS
    prisma_deploy(project, init)
    prisma_deploy(project, post, fail=True)

    result = project.run("baseline", "--from-prisma")

    assert_refused(result, "TM422")
    assert post in result.stderr and f"prisma migrate resolve --rolled-back {post}" in result.stderr
    assert history_rows(project) == []
    # The hint's other way: the migration was finished by hand, and teamigrate records it so.
    project.sql(PRISMA_MIGRATIONS[post])
    project.ok("resolve", "--applied", post)
    project.ok("baseline", "--from-prisma")
    assert states(project.root, project.database_url) == ["applied", "applied", "pending", "pending"]


def test_a_migration_edited_since_prisma_applied_it_is_refused_naming_it(project: Project) -> None:
    prisma_project(project)
    init, post, *_ = PRISMA_MIGRATIONS
    prisma_deploy(project, init)
    prisma_deploy(project, post)
    project.write(f"migrations/{post}/migration.sql", PRISMA_MIGRATIONS[post] + "-- edited after deploy\n")
    project.ok("hash")

    result = project.run("baseline", "--from-prisma")

    assert_refused(result, "TM420")
    assert post in result.stderr and init not in result.stderr.split("hint:")[0]
    assert history_rows(project) == []


def test_a_migration_prisma_applied_without_its_folder_is_refused(project: Project) -> None:
    prisma_project(project)
    init, post, *_ = PRISMA_MIGRATIONS
    prisma_deploy(project, init)
    prisma_deploy(project, post)
    shutil.rmtree(project.root / "migrations" / post)
    project.ok("hash")

    result = project.run("baseline", "--from-prisma")

    assert_refused(result, "TM421")
    assert post in result.stderr
    assert history_rows(project) == []


def test_baseline_from_prisma_on_a_database_prisma_never_managed(project: Project) -> None:
    prisma_project(project)
    assert_refused(project.run("baseline", "--from-prisma"), "TM419")
    assert history_rows(project) == []

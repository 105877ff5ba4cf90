"""deploy, status, resolve and hash end to end: a real project, a real database, teamigrate as a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.conftest import Project

HISTORY = "public.teamigrate_history"


def add_migration(project: Project, migration_id: str, sql: str, down: str | None = None) -> None:
    project.write(f"migrations/{migration_id}/migration.sql", sql)
    if down is not None:
        project.write(f"migrations/{migration_id}/down.sql", down)


def history(project: Project) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in project.sql(f"SELECT id, state FROM {HISTORY} ORDER BY id")]


def states(project: Project) -> dict[str, str]:
    document = json.loads(project.ok("status", "--json").stdout)
    return {m["id"]: m["state"] for m in document["migrations"]}


def one_error(result: subprocess.CompletedProcess[str], code: str) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error[")]
    assert errors == [errors[0]] and errors[0].startswith(f"error[{code}]"), result.stderr
    assert "hint:" in result.stderr and "Traceback" not in result.stderr
    return errors[0]


def kill_deploy_during_sleep(project: Project) -> None:
    """Start a deploy and SIGKILL it while its migration runs `SELECT pg_sleep(30);`."""
    process = subprocess.Popen([sys.executable, "-m", "teamigrate", "deploy"], cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not project.sql("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()"):
            assert time.monotonic() < deadline and process.poll() is None, "the slow migration never started"
            time.sleep(0.1)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
    assert process.returncode == -signal.SIGKILL


def test_deploy_applies_in_order_prints_a_line_each_and_then_has_nothing_to_do(project: Project) -> None:
    add_migration(project, "20261126093000_users", "CREATE TABLE users (id int PRIMARY KEY);\n", "DROP TABLE users;\n")
    add_migration(project, "20261126093100_posts", "CREATE TABLE posts (user_id int REFERENCES users);\n")
    project.ok("hash")
    result = project.ok("deploy")
    assert "applied 20261126093000_users (" in result.stdout and "applied 20261126093100_posts (" in result.stdout
    assert result.stdout.index("users") < result.stdout.index("posts")
    assert history(project) == [("20261126093000_users", "applied"), ("20261126093100_posts", "applied")]
    (down,) = project.sql(f"SELECT down_sql FROM {HISTORY} WHERE id = '20261126093000_users'")
    assert down == ("DROP TABLE users;\n",)
    again = project.ok("deploy")
    assert "nothing to deploy" in again.stdout


def test_six_concurrent_deploys_of_sixty_migrations_apply_each_once(project: Project) -> None:
    add_migration(project, "20261126090000_log", "CREATE TABLE deploy_log (migration text PRIMARY KEY);\n")
    for i in range(1, 60):
        add_migration(project, f"20261126{90000 + i:06d}_table_{i}", f"CREATE TABLE t_{i} (id int);\nINSERT INTO deploy_log VALUES ('t_{i}');\n")
    project.ok("hash")
    processes = [
        subprocess.Popen([sys.executable, "-m", "teamigrate", "deploy"], cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in processes]  # type: ignore[union-attr]
    assert [code for code, _, _ in results] == [0] * 6, results
    applied_lines = sum(out.count("applied 2026") for _, out, _ in results)
    assert applied_lines == 60  # every migration was applied by exactly one of them
    assert project.sql(f"SELECT count(*), count(DISTINCT id) FROM {HISTORY} WHERE state = 'applied'") == [(60, 60)]
    assert project.sql("SELECT count(*), count(DISTINCT migration) FROM deploy_log") == [(59, 59)]
    assert project.sql("SELECT count(*) FROM pg_tables WHERE tablename LIKE 't\\_%'") == [(59,)]


def test_a_migration_that_fails_halfway_leaves_nothing_and_blocks_until_resolved(project: Project) -> None:
    add_migration(project, "20261126093000_ok", "CREATE TABLE ok (id int);\n")
    add_migration(project, "20261126093100_half", "CREATE TABLE a (id int);\nINSERT INTO missing_table VALUES (1);\n")
    add_migration(project, "20261126093200_after", "CREATE TABLE after_half (id int);\n")
    project.ok("hash")

    failed = project.run("deploy")
    line = one_error(failed, "TM211")
    assert "20261126093100_half" in line and "line 2" in line and 'relation "missing_table" does not exist' in line
    assert "applied 20261126093000_ok" in failed.stdout
    assert project.sql("SELECT to_regclass('a'), to_regclass('after_half')") == [(None, None)]
    assert states(project) == {"20261126093000_ok": "applied", "20261126093100_half": "failed", "20261126093200_after": "pending"}

    refused = project.run("deploy")
    line = one_error(refused, "TM214")
    assert "20261126093100_half" in line and "resolve --rolled-back 20261126093100_half" in refused.stderr

    add_migration(project, "20261126093100_half", "CREATE TABLE a (id int);\nCREATE TABLE missing_table (id int);\nINSERT INTO missing_table VALUES (1);\n")
    project.ok("hash")
    one_error(project.run("deploy"), "TM214")  # fixing the file is not enough: the failure must be resolved
    project.ok("resolve", "--rolled-back", "20261126093100_half")
    project.ok("deploy")
    assert set(states(project).values()) == {"applied"}
    assert project.sql("SELECT count(*) FROM missing_table") == [(1,)]


def test_a_deploy_killed_mid_migration_is_completed_by_the_next_one(project: Project) -> None:
    add_migration(project, "20261126093000_first", "CREATE TABLE first (id int);\n")
    add_migration(project, "20261126093100_slow", "CREATE TABLE slow (id int);\nSELECT pg_sleep(30);\n")
    add_migration(project, "20261126093200_last", "CREATE TABLE last (id int);\n")
    project.ok("hash")
    kill_deploy_during_sleep(project)

    # The slow migration must not sleep again, so take the sleep out (and re-hash).
    add_migration(project, "20261126093100_slow", "CREATE TABLE slow (id int);\n")
    project.ok("hash")
    started = time.monotonic()
    project.ok("deploy")
    assert time.monotonic() - started < 20  # not blocked behind the dead deploy's backend
    assert history(project) == [("20261126093000_first", "applied"), ("20261126093100_slow", "applied"), ("20261126093200_last", "applied")]
    assert project.sql("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database()") == [(0,)]
    assert project.sql("SELECT to_regclass('slow') IS NOT NULL, to_regclass('last') IS NOT NULL") == [(True, True)]


def test_no_transaction_migration_creates_an_index_concurrently(project: Project) -> None:
    add_migration(project, "20261126093000_items", "CREATE TABLE items (id int, name text);\nINSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 1000) g;\n")
    add_migration(project, "20261126093100_index", "-- teamigrate: no-transaction\nCREATE INDEX CONCURRENTLY items_name ON items (name);\n")
    project.ok("hash")
    project.ok("deploy")
    assert project.sql("SELECT indexname FROM pg_indexes WHERE tablename = 'items'") == [("items_name",)]
    assert project.sql("SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_name'::regclass") == [(True,)]
    assert history(project)[-1] == ("20261126093100_index", "applied")


def test_an_interrupted_no_transaction_migration_is_reported_as_failed(project: Project) -> None:
    add_migration(project, "20261126093000_idx", "-- teamigrate: no-transaction\nCREATE TABLE a (id int);\nSELECT pg_sleep(30);\n")
    project.ok("hash")
    kill_deploy_during_sleep(project)
    assert history(project) == [("20261126093000_idx", "started")]
    assert states(project) == {"20261126093000_idx": "failed"}
    refused = project.run("deploy")
    assert "interrupted" in one_error(refused, "TM214")
    project.ok("resolve", "--applied", "20261126093000_idx")  # its table was made: accept it as applied
    assert history(project) == [("20261126093000_idx", "applied")]


def test_an_applied_migration_edited_afterwards_is_modified_and_blocks_deploy(project: Project) -> None:
    add_migration(project, "20261126093000_users", "CREATE TABLE users (id int);\n")
    project.ok("hash")
    project.ok("deploy")
    add_migration(project, "20261126093000_users", "CREATE TABLE users (id bigint);\n")
    add_migration(project, "20261126093100_more", "CREATE TABLE more (id int);\n")
    project.ok("hash")
    assert states(project) == {"20261126093000_users": "modified", "20261126093100_more": "pending"}
    line = one_error(project.run("deploy"), "TM215")
    assert "20261126093000_users" in line
    assert project.sql("SELECT to_regclass('more')") == [(None,)]
    # An intended, harmless edit is accepted with resolve --applied.
    project.ok("resolve", "--applied", "20261126093000_users")
    project.ok("deploy")
    assert set(states(project).values()) == {"applied"}


def test_status_shows_every_state_including_missing(project: Project) -> None:
    add_migration(project, "20261126093000_a", "CREATE TABLE a (id int);\n")
    add_migration(project, "20261126093100_b", "CREATE TABLE b (id int);\n")
    project.ok("hash")
    before = json.loads(project.ok("status", "--json").stdout)
    assert before["pending"] == 2 and not project.sql("SELECT to_regclass('public.teamigrate_history')")[0][0]
    assert before["database"] == project.database_url  # it has no password to mask
    project.ok("deploy")
    # Another branch's checkout: b is gone, c is new.
    import shutil

    shutil.rmtree(project.root / "migrations/20261126093100_b")
    add_migration(project, "20261126093200_c", "CREATE TABLE c (id int);\n")
    project.ok("hash")
    document = json.loads(project.ok("status", "--json").stdout)
    assert [(m["id"], m["state"]) for m in document["migrations"]] == [
        ("20261126093000_a", "applied"), ("20261126093100_b", "missing"), ("20261126093200_c", "pending"),
    ]
    assert set(document["migrations"][0]) >= {"id", "state", "checksum", "applied_at"}
    assert document["migrations"][0]["applied_at"] and document["migrations"][2]["applied_at"] is None
    assert document["pending"] == 1 and document["sum"]["ok"] is True
    people = project.ok("status").stdout
    assert "missing" in people and "pending" in people and "20261126093100_b" in people


def test_status_reports_a_stale_sum_without_refusing(project: Project) -> None:
    add_migration(project, "20261126093000_a", "CREATE TABLE a (id int);\n")
    document = json.loads(project.ok("status", "--json").stdout)
    assert document["sum"]["ok"] is False and document["sum"]["code"] == "TM207"


def test_hash_rewrites_the_sum_file(project: Project) -> None:
    add_migration(project, "20261126093000_a", "CREATE TABLE a (id int);\n")
    one_error(project.run("deploy"), "TM207")
    result = project.ok("hash")
    assert "(1 migration)" in result.stdout
    from teamigrate.history.migrations import MigrationDirectory
    from teamigrate.history.sumfile import SumFile

    written = (project.root / "migrations/teamigrate.sum").read_text()
    assert written == SumFile.compute(MigrationDirectory(project.root / "migrations").migrations()).render()
    project.ok("deploy")


def test_resolve_applied_records_without_running_and_refuses_what_it_cannot(project: Project) -> None:
    add_migration(project, "20261126093000_baseline", "CREATE TABLE already_there (id int);\n")
    add_migration(project, "20261126093100_next", "CREATE TABLE next (id int);\n")
    project.ok("hash")
    project.sql("CREATE TABLE already_there (id int)")  # the production database predates teamigrate
    result = project.ok("resolve", "--applied", "20261126093000_baseline")
    assert "no SQL was run" in result.stdout
    project.ok("deploy")
    assert history(project) == [("20261126093000_baseline", "applied"), ("20261126093100_next", "applied")]

    assert "20261126093000_baseline" in one_error(project.run("resolve", "--applied", "20261126093000_baseline"), "TM217")
    one_error(project.run("resolve", "--applied", "20991126093000_unknown"), "TM216")
    one_error(project.run("resolve", "--rolled-back", "20991126093000_unknown"), "TM216")
    one_error(project.run("resolve", "--rolled-back", "20261126093100_next"), "TM218")
    one_error(project.run("resolve"), "TM219")
    one_error(project.run("resolve", "--applied", "20261126093100_next", "--rolled-back", "20261126093100_next"), "TM219")
    assert history(project) == [("20261126093000_baseline", "applied"), ("20261126093100_next", "applied")]


def test_a_migration_merged_in_before_applied_ones_is_applied_with_a_warning(project: Project) -> None:
    add_migration(project, "20261126093000_a", "CREATE TABLE a (id int);\n")
    add_migration(project, "20261126093200_c", "CREATE TABLE c (id int);\n")
    project.ok("hash")
    project.ok("deploy")
    add_migration(project, "20261126093100_b", "CREATE TABLE b (id int);\n")
    project.ok("hash")
    result = project.ok("deploy")
    assert "20261126093100_b sorts before 20261126093200_c" in result.stderr
    assert [state for _, state in history(project)] == ["applied"] * 3

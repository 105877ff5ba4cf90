"""deploy against a lock queue: a migration waits at most its lock_timeout, is retried whole, and names who blocks it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from benchmarks.lock_bench import lock_queue, run_bounded
from teamigrate.config import parse_config
from teamigrate.errors import ConfigError, MigrationError
from teamigrate.history.migrations import migrations_from_files
from teamigrate.server.cluster import embedded_bin_dir
from tests.commands.test_deploy import HISTORY, add_migration, one_error
from tests.conftest import Project, run_cli

ALTER_ID = "20261126093100_add_note"
DEPLOY_LIMIT = 60.0  # seconds: a deploy that hangs fails the test instead of the suite


def _configure(project: Project, deploy: str) -> None:
    path = project.root / "teamigrate.yaml"
    text = re.sub(r"^deploy:\n(?:  .*\n)*", "", path.read_text(), flags=re.MULTILINE)
    path.write_text(text + f"deploy:\n{deploy}")


def _with_table(project: Project, alter: str = "ALTER TABLE t ADD COLUMN note text;\n") -> None:
    add_migration(project, "20261126093000_t", "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n")
    project.ok("hash")
    project.ok("deploy")
    add_migration(project, ALTER_ID, alter)
    project.ok("hash")


@contextmanager
def _blocker(project: Project, release_after: float | None) -> Iterator[psycopg.Connection]:
    """A session holding ACCESS SHARE on t in an open transaction (as a long report query would), ended after `release_after` s."""
    conn = psycopg.connect(project.database_url, application_name="blocker_app")
    conn.execute("LOCK TABLE t IN ACCESS SHARE MODE")  # psycopg opened the transaction
    timer = threading.Timer(release_after, conn.rollback) if release_after is not None else None
    if timer is not None:
        timer.start()
    try:
        yield conn
    finally:
        if timer is not None:
            timer.cancel()
            timer.join()
        conn.close()


def _deploy(project: Project) -> tuple[subprocess.CompletedProcess[str], float]:
    """deploy in a process of its own with a time limit; its result and how long it took."""
    started = time.monotonic()
    result = run_cli(["deploy"], project.root, project.env, timeout=DEPLOY_LIMIT)
    return result, time.monotonic() - started


def _state(project: Project, migration_id: str) -> str:
    document = json.loads(project.ok("status", "--json").stdout)
    return next(m["state"] for m in document["migrations"] if m["id"] == migration_id)


def _retry_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "retrying in" in line]


def test_a_migration_behind_a_lock_retries_and_is_applied_once_the_blocker_ends(project: Project) -> None:
    _configure(project, "  lock_timeout: 300ms\n  retries: 12\n")
    _with_table(project)
    with _blocker(project, release_after=2.0) as blocker:
        result, seconds = _deploy(project)
        pid = blocker.info.backend_pid
    assert result.returncode == 0, result.stdout + result.stderr
    retries = _retry_lines(result.stderr)
    assert retries, result.stderr
    assert all(f"{ALTER_ID} waited its lock_timeout 300 ms" in line for line in retries)
    assert any(f"pid {pid} (blocker_app, idle in transaction" in line for line in retries), retries
    assert f"applied {ALTER_ID} (" in result.stdout and seconds >= 1.5
    assert project.sql(f"SELECT state FROM {HISTORY} WHERE id = '{ALTER_ID}'") == [("applied",)]
    assert project.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'note'") == [(1,)]


def test_when_the_tries_run_out_deploy_names_the_blocker_and_leaves_the_migration_pending(project: Project) -> None:
    _configure(project, "  lock_timeout: 200ms\n  retries: 2\n")
    _with_table(project)
    with _blocker(project, release_after=None) as blocker:
        result, _ = _deploy(project)
        pid = blocker.info.backend_pid
    error = one_error(result, "TM230")
    assert f"migration {ALTER_ID} could not take its locks in 3 tries (lock_timeout of 200 ms each)" in error
    assert f"pid {pid} (blocker_app, idle in transaction for" in error and "query started" in error
    assert len(_retry_lines(result.stderr)) == 2
    assert "still pending" in result.stderr
    assert _state(project, ALTER_ID) == "pending"
    assert project.sql(f"SELECT count(*) FROM {HISTORY} WHERE id = '{ALTER_ID}'") == [(0,)]  # no failed row
    assert project.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'note'") == [(0,)]
    # Once the blocker is gone the same deploy goes through, with nothing to resolve first.
    assert _deploy(project)[0].returncode == 0 and _state(project, ALTER_ID) == "applied"


def test_a_migrations_own_lock_timeout_directive_wins_over_the_config(project: Project) -> None:
    _configure(project, "  lock_timeout: 60s\n  retries: 1\n")
    _with_table(project, "-- teamigrate: lock-timeout 150ms\nALTER TABLE t ADD COLUMN note text;\n")
    with _blocker(project, release_after=None):
        result, seconds = _deploy(project)
    assert "could not take its locks in 2 tries (lock_timeout of 150 ms each)" in one_error(result, "TM230")
    assert seconds < 30


def test_the_lock_queue_readers_wait_for_the_whole_blocker_behind_psql_and_about_the_lock_timeout_behind_deploy(project: Project) -> None:
    # The demonstration, as benchmarks/lock_bench.py measures it: several readers of t, a transaction
    # holding a lock on t for 1.5 s, and an ALTER TABLE on t meanwhile. Plain psql queues the ALTER, and every
    # read behind it, for the blocker's whole life; deploy gives up after its lock_timeout and tries again.
    _configure(project, "  lock_timeout: 200ms\n  retries: 20\n")
    _with_table(project)
    plain = project.root / "plain.sql"
    plain.write_text("ALTER TABLE t ADD COLUMN by_psql text;\n")
    psql = [str(embedded_bin_dir() / "psql"), "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", str(plain), project.database_url]
    by_psql = lock_queue(project.database_url, lambda: run_bounded(psql, project.root, dict(os.environ), DEPLOY_LIMIT), readers=3, limit=DEPLOY_LIMIT)
    assert by_psql.result.returncode == 0, by_psql.result.stderr
    assert max(by_psql.waits) > 1.0, sorted(by_psql.waits)[-5:]  # the pile-up

    by_deploy = lock_queue(project.database_url, lambda: _deploy(project)[0], readers=3, limit=DEPLOY_LIMIT)
    assert by_deploy.result.returncode == 0, by_deploy.result.stdout + by_deploy.result.stderr
    assert _retry_lines(by_deploy.result.stderr) and by_deploy.seconds >= 1.2
    assert len(by_deploy.waits) > 3 * len(by_psql.waits) / 2  # the readers kept reading
    assert 0.05 < max(by_deploy.waits) < 0.2 + 0.5, sorted(by_deploy.waits)[-5:]  # they queued, for about the lock_timeout
    assert project.sql(f"SELECT id, state FROM {HISTORY} WHERE id = '{ALTER_ID}'") == [(ALTER_ID, "applied")]


def test_lock_settings_are_validated_in_the_config_and_in_directives(tmp_path: Path) -> None:
    path = tmp_path / "teamigrate.yaml"
    config = parse_config("deploy:\n  lock_timeout: 2min\n  retries: 0\n  statement_timeout: 1500ms\n", path)
    assert (config.deploy.lock_timeout, config.deploy.retries, config.deploy.statement_timeout) == (120.0, 0, 1.5)
    assert parse_config("deploy:\n  lock_timeout: null\n", path).deploy.lock_timeout is None
    assert parse_config("", path).deploy.lock_timeout == 5.0
    for bad in ("  lock_timeout: soon\n", "  retries: -1\n", "  lock_timout: 5s\n"):
        try:
            parse_config(f"deploy:\n{bad}", path)
        except ConfigError as exc:
            assert exc.code in ("TM103", "TM105")
        else:
            raise AssertionError(bad)
    good = {"20261126093000_a/migration.sql": b"-- teamigrate: lock-timeout 30s\n-- teamigrate: statement-timeout 10min\nSELECT 1;\n"}
    assert migrations_from_files(good, "migrations")[0].directives == ("lock-timeout 30s", "statement-timeout 10min")
    try:
        migrations_from_files({"20261126093000_a/migration.sql": b"-- teamigrate: lock-timeout whenever\nSELECT 1;\n"}, "migrations")
    except MigrationError as exc:
        assert exc.code == "TM205" and "lock-timeout 30s" in exc.hint
    else:
        raise AssertionError("an invalid lock-timeout was accepted")



def test_rollback_waits_for_its_locks_the_same_way(project: Project) -> None:
    _configure(project, "  lock_timeout: 200ms\n  retries: 12\n")
    add_migration(project, "20261126093000_t", "CREATE TABLE t (id int);\n")
    add_migration(project, ALTER_ID, "ALTER TABLE t ADD COLUMN note text;\n", "ALTER TABLE t DROP COLUMN note;\n")
    project.ok("hash")
    project.ok("deploy")
    with _blocker(project, release_after=1.5):
        result = run_cli(["rollback", "--steps", "1"], project.root, project.env, timeout=DEPLOY_LIMIT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _retry_lines(result.stderr) and f"rolled back {ALTER_ID}" in result.stdout
    assert project.sql(f"SELECT state FROM {HISTORY} WHERE id = '{ALTER_ID}'") == [("rolled_back",)]


def _indexes(project: Project) -> list[tuple[str, bool]]:
    return [(r[0], r[1]) for r in project.sql("SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 't'::regclass ORDER BY 1")]


def test_a_create_index_concurrently_that_timed_out_has_its_invalid_index_dropped_before_the_retry(project: Project) -> None:
    _configure(project, "  lock_timeout: 300ms\n  retries: 12\n")
    _with_table(project, "-- teamigrate: no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n")
    # A writer's open transaction: CREATE INDEX CONCURRENTLY commits its (INVALID) index, then waits for it.
    writer = psycopg.connect(project.database_url, application_name="writer_app")
    writer.execute("INSERT INTO t VALUES (2)")
    timer = threading.Timer(1.5, writer.rollback)
    timer.start()
    try:
        result, seconds = _deploy(project)
    finally:
        timer.cancel()
        timer.join()
        writer.close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert _retry_lines(result.stderr) and seconds >= 1.2
    dropped = [line for line in result.stderr.splitlines() if "dropped the INVALID index t_id" in line]
    assert len(dropped) == 1, result.stderr
    assert _indexes(project) == [("t_id", True)]
    assert project.sql(f"SELECT state FROM {HISTORY} WHERE id = '{ALTER_ID}'") == [("applied",)]


def test_a_create_index_concurrently_that_fails_otherwise_leaves_no_invalid_index(project: Project) -> None:
    _configure(project, "  lock_timeout: 300ms\n  retries: 2\n")
    _with_table(project, "-- teamigrate: no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY t_once ON t (id);\nCREATE INDEX CONCURRENTLY t_other ON t (id);\n")
    project.sql("INSERT INTO t VALUES (1)")  # a duplicate: the unique build fails after its catalog entry committed
    result, _ = _deploy(project)
    error = one_error(result, "TM211")
    assert f"migration {ALTER_ID} failed at {ALTER_ID}/migration.sql line 2" in error and "t_once" in error
    assert "teamigrate dropped the INVALID index t_once it left" in result.stderr
    assert _indexes(project) == []
    assert project.sql(f"SELECT state FROM {HISTORY} WHERE id = '{ALTER_ID}'") == [("failed",)]


def test_a_create_index_concurrently_out_of_tries_is_pending_and_the_next_deploy_drops_its_invalid_index(project: Project) -> None:
    _configure(project, "  lock_timeout: 150ms\n  retries: 1\n")
    _with_table(project, "-- teamigrate: no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n")
    writer = psycopg.connect(project.database_url, application_name="writer_app")
    writer.execute("INSERT INTO t VALUES (2)")
    try:
        result, _ = _deploy(project)
        error = one_error(result, "TM230")
        assert f"migration {ALTER_ID} could not take its locks in 2 tries" in error and "writer_app" in error
        assert "no transaction: the statement at line 2 is tried again" in result.stderr
        # While the writer lives, even DROP INDEX CONCURRENTLY cannot get through: the INVALID index stays, named.
        assert "the INVALID index t_id its CREATE INDEX CONCURRENTLY left is dropped by the next deploy" in result.stderr
        assert _indexes(project) == [("t_id", False)]
        assert _state(project, ALTER_ID) == "pending"
        assert project.sql(f"SELECT count(*) FROM {HISTORY} WHERE id = '{ALTER_ID}'") == [(0,)]
    finally:
        writer.close()
    # Once the writer is gone, the next deploy recognises the index by its name, drops it and builds it.
    result, _ = _deploy(project)
    assert result.returncode == 0 and "dropped the INVALID index t_id" in result.stderr, result.stderr
    assert _indexes(project) == [("t_id", True)] and _state(project, ALTER_ID) == "applied"

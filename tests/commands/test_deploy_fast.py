"""deploy through libpq alone (commands/deploy_fast.py): the psycopg path's rows, output and failures, and where it hands over."""

from __future__ import annotations

import pytest

from teamigrate.commands.deploy import apply_pending
from teamigrate.commands.deploy_fast import _rows
from teamigrate.config import load_config
from teamigrate.git import head_commit
from teamigrate.history.rows import qualified_ident
from teamigrate.libpq import QueryFailed, load
from teamigrate.workspace.project import checked_out_migrations, open_target
from tests.commands.conftest import assert_refused
from tests.commands.test_deploy import HISTORY, add_migration, one_error
from tests.conftest import Project, run_process

# Everything but the clocks: what each path must write alike.
ROW = "id, checksum, state, applied_by, os_user, git_commit, error, error_line, down_sql, replaces"


def _history(url: str, project: Project) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT {ROW} FROM {HISTORY} ORDER BY id").fetchall()


def test_it_writes_the_rows_the_psycopg_path_writes_and_times_each_migration_on_its_own(project: Project, make_database) -> None:  # type: ignore[no-untyped-def]
    add_migration(project, "20261201000000_a", "CREATE TABLE a (id int PRIMARY KEY);\n", "DROP TABLE a;\n")
    add_migration(project, "20261201000100_slow", "SELECT pg_sleep(0.3);\nCREATE TABLE b (id int);\n")
    add_migration(project, "20261201000200_c", "-- a comment with $tm$ in it\nCREATE TABLE c (note text DEFAULT 'it''s');\n")
    project.ok("hash")
    done = run_process(["deploy"], project.root, {"PYTHONPROFILEIMPORTTIME": "1"})
    assert done.returncode == 0, done.stderr
    assert "psycopg" not in {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert [line.split(" (")[0] for line in done.stdout.splitlines()] == [
        "applied 20261201000000_a", "applied 20261201000100_slow", "applied 20261201000200_c", f"deployed 3 migrations to {project.database_url}",
    ]
    printed = {line.split()[1]: int(line.split("(")[1].split()[0]) for line in done.stdout.splitlines() if line.startswith("applied")}
    assert printed["20261201000100_slow"] >= 300 and printed["20261201000000_a"] < 200, printed  # each its own row's duration

    # The psycopg path on a second database: the same rows, clocks aside.
    other = make_database()
    config = load_config(explicit=project.root / "teamigrate.yaml")
    with open_target(config, other) as target, target.table.locked():
        assert apply_pending(target, checked_out_migrations(config), head_commit(config.root)) == 3
    assert _history(project.database_url, project) == _history(other, project)
    assert project.sql(f"SELECT git_commit IS NULL OR length(git_commit) = 40 FROM {HISTORY} LIMIT 1") == [(True,)]

    # One batch: each row's start and duration are its own migration's, not the batch's.
    durations = dict(project.sql(f"SELECT id, duration_ms FROM {HISTORY}"))
    assert durations["20261201000100_slow"] >= 300
    assert durations["20261201000000_a"] < 200 and durations["20261201000200_c"] < 200, durations
    assert project.sql(f"SELECT bool_and(finished_at >= started_at) FROM {HISTORY}") == [(True,)]
    starts = [row[0] for row in project.sql(f"SELECT started_at FROM {HISTORY} ORDER BY id")]
    assert (starts[2] - starts[1]).total_seconds() >= 0.3


def test_it_hands_over_at_a_no_transaction_migration_and_at_a_failure_keeping_what_came_before(project: Project) -> None:
    add_migration(project, "20261201000000_t", "CREATE TABLE t (id int);\n")
    add_migration(project, "20261201000100_index", "-- teamigrate: no-transaction\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n")
    add_migration(project, "20261201000200_u", "CREATE TABLE u (id int);\n")
    add_migration(project, "20261201000300_broken", "CREATE TABLE v (id int);\nCREATE TABLE t (id int);\n")
    add_migration(project, "20261201000400_w", "CREATE TABLE w (id int);\n")
    project.ok("hash")
    result = run_process(["deploy"], project.root)
    error = one_error(result, "TM211")
    assert "20261201000300_broken failed at 20261201000300_broken/migration.sql line 2" in error and 'relation "t" already exists' in error
    assert [line.split(" (")[0] for line in result.stdout.splitlines()] == [
        "applied 20261201000000_t", "applied 20261201000100_index", "applied 20261201000200_u",
    ]
    assert project.sql(f"SELECT id, state, error_line FROM {HISTORY} ORDER BY id") == [
        ("20261201000000_t", "applied", None), ("20261201000100_index", "applied", None), ("20261201000200_u", "applied", None),
        ("20261201000300_broken", "failed", 2),
    ]
    assert project.sql("SELECT to_regclass('v') IS NULL, to_regclass('w') IS NULL") == [(True, True)]


def test_notices_are_not_printed_and_a_missing_history_table_is_created(project: Project) -> None:
    add_migration(project, "20261201000000_quiet", "CREATE TABLE IF NOT EXISTS pg_temp.x (id int);\nCREATE TABLE IF NOT EXISTS pg_temp.x (id int);\nDO $$ BEGIN RAISE NOTICE 'hello'; END $$;\n")
    project.ok("hash")
    result = run_process(["deploy"], project.root)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert project.sql(f"SELECT obj_description('{HISTORY}'::regclass)")[0][0].startswith("teamigrate migration history")


def test_a_table_of_another_shape_under_the_history_name_is_the_psycopg_paths_error(project: Project) -> None:
    project.sql("CREATE TABLE teamigrate_history (id text)")
    add_migration(project, "20261201000000_a", "CREATE TABLE a (id int);\n")
    project.ok("hash")
    error = one_error(run_process(["deploy"], project.root), "TM221")
    assert "exists but is not a teamigrate history table" in error
    assert project.sql("SELECT to_regclass('a') IS NULL") == [(True,)]


def test_the_libpq_session_reports_the_servers_refusal_and_reads_rows_as_text(database: str) -> None:
    libpq = load()
    assert libpq is not None  # psycopg_binary's copy, or the system's
    session = libpq.connect(database)
    try:
        assert session.query("SELECT $1::int + 1, NULL::text, 'é'", ["41"]) == [("42", None, "é")]
        try:
            session.send("SELECT 1; SELECT * FROM no_such_table; SELECT 2")
        except QueryFailed as failure:
            assert failure.sqlstate == "42P01" and failure.primary == 'relation "no_such_table" does not exist'
        else:
            raise AssertionError("no error")
        assert not session.broken and session.query("SELECT 3") == [("3",)]
    finally:
        session.close()


def test_ctrl_c_cancels_the_batch_on_the_server_and_keeps_nothing_of_it(project: Project) -> None:
    import signal
    import subprocess
    import sys
    import time

    add_migration(project, "20261201000000_a", "CREATE TABLE a (id int);\n")
    add_migration(project, "20261201000100_slow", "CREATE TABLE b (id int);\nSELECT pg_sleep(60);\n")
    project.ok("hash")
    sleeping = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'"
    process = subprocess.Popen([sys.executable, "-m", "teamigrate", "deploy"], cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while project.sql(sleeping) != [(1,)]:
            assert time.monotonic() < deadline and process.poll() is None, "the slow migration never started"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130 and "Traceback" not in stderr, stderr
    assert project.sql(sleeping) == [(0,)]  # cancelled on the server, not left running
    assert project.sql(f"SELECT id FROM {HISTORY}") == [("20261201000000_a",)]
    assert project.sql("SELECT to_regclass('b') IS NULL") == [(True,)]


def test_a_plpgsql_body_goes_in_a_batch_and_transaction_control_in_the_code_does_not() -> None:
    from teamigrate.history.batches import batchable
    from teamigrate.history.migrations import Migration

    function = "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN NEW;\nEND\n$$;\n"
    assert batchable(Migration("20261201000000_f", function))
    assert batchable(Migration("20261201000000_s", "SELECT 'a;\nCOMMIT';\n-- COMMIT;\n/* ROLLBACK; */ SELECT 1;\n"))
    assert not batchable(Migration("20261201000000_c", "CREATE TABLE t ();\nCOMMIT;\n"))  # refused on the slow way (TM213)
    assert not batchable(Migration("20261201000000_e", "SELECT E'it\\'s;\nCOMMIT;';\n"))  # a backslash: the slow way reads it
    assert not batchable(Migration("20261201000000_p", "\\set x 1\nSELECT 1;\n"))
    assert not batchable(Migration("20261201000000_n", "-- teamigrate: no-transaction\nSELECT 1;\n"))


def test_a_transaction_control_statement_in_a_migration_is_refused_before_anything_of_it_runs(project: Project) -> None:
    add_migration(project, "20261201000000_a", "CREATE TABLE a (id int);\n")
    add_migration(project, "20261201000100_commit", "CREATE TABLE b (id int);\nCOMMIT;\nCREATE TABLE c (id int);\n")
    project.ok("hash")
    error = one_error(run_process(["deploy"], project.root), "TM213")
    assert "20261201000100_commit/migration.sql line 2" in error
    assert project.sql("SELECT to_regclass('a') IS NOT NULL, to_regclass('b') IS NULL, to_regclass('c') IS NULL") == [(True, True, True)]


def test_after_a_squash_is_recorded_the_next_deploy_stays_on_libpq_and_reads_the_rows_psycopg_reads(project: Project) -> None:
    add_migration(project, "20261201000000_a", "CREATE TABLE a (id int);\n")
    add_migration(project, "20261201000100_b", "CREATE TABLE b (id int);\n")
    project.ok("hash")
    project.ok("deploy")
    project.ok("squash", "--to", "20261201000100_b", "--name", "ab")
    project.ok("deploy")  # records the squash, with the two it replaces
    add_migration(project, "20261201000200_c", "CREATE TABLE c (id int);\n")
    project.ok("hash")
    done = run_process(["deploy"], project.root, {"PYTHONPROFILEIMPORTTIME": "1"})
    assert done.returncode == 0, done.stderr
    assert "psycopg" not in {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert [line.split(" (")[0] for line in done.stdout.splitlines()] == ["applied 20261201000200_c", f"deployed 1 migration to {project.database_url}"]

    # Every row as libpq reads it is the row psycopg reads: the squash's replaces, the clocks, the empty ones.
    config = load_config(explicit=project.root / "teamigrate.yaml")
    libpq = load()
    assert libpq is not None
    session = libpq.connect(project.database_url)
    try:
        fast = _rows(session, qualified_ident(config.history_table))
    finally:
        session.close()
    with open_target(config, project.database_url) as target:
        assert fast == target.table.rows()
    assert [row.replaces for row in fast if row.replaces] == [("20261201000000_a", "20261201000100_b")]


def test_a_migration_that_deallocates_prepared_statements_is_not_batched_with_the_history_statements(project: Project) -> None:
    add_migration(project, "20261201000000_a", "CREATE TABLE a (id int);\n")
    add_migration(project, "20261201000100_deallocate", "DEALLOCATE ALL;\nCREATE TABLE b (id int);\n")
    add_migration(project, "20261201000200_c", "CREATE TABLE c (id int);\n")
    project.ok("hash")
    done = run_process(["deploy"], project.root)
    assert done.returncode == 0, done.stderr
    assert project.sql(f"SELECT id, state FROM {HISTORY} ORDER BY id") == [
        ("20261201000000_a", "applied"), ("20261201000100_deallocate", "applied"), ("20261201000200_c", "applied"),
    ]


@pytest.mark.parametrize("change", ["ALTER TABLE {table} RENAME TO hidden_history", "DROP TABLE {table}"])
def test_a_migration_that_changes_the_history_table_is_refused_and_left_pending(project: Project, change: str) -> None:
    add_migration(project, "20261201000000_a", "CREATE TABLE a (id int);\n")
    add_migration(project, "20261201000100_hide", f"CREATE TABLE b (id int);\n{change.format(table=HISTORY)};\n")
    add_migration(project, "20261201000200_c", "CREATE TABLE c (id int);\n")
    project.ok("hash")
    result = run_process(["deploy"], project.root)
    assert_refused(result, "TM231")
    assert "20261201000100_hide changed the history table public.teamigrate_history" in result.stderr
    assert [line.split(" (")[0] for line in result.stdout.splitlines()] == ["applied 20261201000000_a"]
    # Rolled back: the table as it was, b never made, the migration (and the one after) still pending.
    assert project.sql(f"SELECT id, state FROM {HISTORY} ORDER BY id") == [("20261201000000_a", "applied")]
    assert project.sql("SELECT to_regclass('b') IS NULL, to_regclass('c') IS NULL") == [(True, True)]

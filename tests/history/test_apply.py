"""Running migration SQL: statement lines, refused constructs, history rows, failures that leave nothing."""

from __future__ import annotations

import psycopg
import pytest

from teamigrate.errors import DatabaseError, MigrationError
from teamigrate.history.apply import MigrationFailed, apply_migration, check_executable, replay, rollback_migration, split_statements
from teamigrate.history.migrations import Migration
from teamigrate.history.table import HistoryTable


def tables(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {name for (name,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}


def test_split_keeps_every_character_and_knows_each_statement_line() -> None:
    sql = "-- header\nCREATE TABLE a (id int);\n\n/* why */\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$;\nSELECT ';';\n-- trailing comment only\n"
    statements = split_statements(sql)
    assert [s.text.split()[0] for s in statements] == ["CREATE", "CREATE", "SELECT"]
    assert [s.line for s in statements] == [2, 5, 10]
    assert all(sql[s.offset : s.offset + len(s.text)] == s.text for s in statements)


@pytest.mark.parametrize(
    ("sql", "code", "line"),
    [
        ("CREATE TABLE a (id int);\nCOPY a FROM stdin;\n1\n\\.\n", "TM212", 2),
        ("CREATE TABLE a (id int);\n\\i other.sql\n", "TM212", 2),
        ("SELECT 1;\n\\set x 1\n", "TM212", 2),
        ("BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n", "TM213", 1),
        ("CREATE TABLE a (id int);\nCOMMIT;\n", "TM213", 2),
    ],
)
def test_unexecutable_sql_is_refused_naming_file_and_line(sql: str, code: str, line: int) -> None:
    with pytest.raises(MigrationError) as caught:
        check_executable(Migration("20261126093000_x", sql))
    assert caught.value.code == code
    assert f"20261126093000_x/migration.sql line {line}" in caught.value.message


def test_backslashes_and_transaction_words_inside_strings_and_bodies_are_fine() -> None:
    sql = "SELECT '\\i not a command';\nDO $$ BEGIN PERFORM 1; END $$;\nCREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n"
    assert len(check_executable(Migration("20261126093000_x", sql))) == 3
    # BEGIN/COMMIT are the author's business outside a transaction.
    assert check_executable(Migration("20261126093000_y", "-- teamigrate: no-transaction\nBEGIN;\nSELECT 1;\nCOMMIT;\n"))


def test_applied_migration_and_its_row_commit_together(database: str) -> None:
    migration = Migration("20261126093000_init", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    with psycopg.connect(database, autocommit=True) as conn:
        table = HistoryTable(conn, "tm.history")
        apply_migration(conn, table, migration, git_commit="abc123")
        (row,) = table.rows()
    assert (row.id, row.state, row.checksum, row.git_commit, row.down_sql) == (migration.id, "applied", migration.checksum, "abc123", "DROP TABLE a;\n")
    assert row.applied_by and row.duration_ms is not None and row.finished_at is not None
    assert "a" in tables(database)


def test_a_failure_halfway_leaves_nothing_of_the_migration_and_records_the_line(database: str) -> None:
    migration = Migration("20261126093000_half", "CREATE TABLE a (id int);\n\nSELECT 1;\nCREATE TABLE a (id int);\n")
    with psycopg.connect(database, autocommit=True) as conn:
        table = HistoryTable(conn, "public.teamigrate_history")
        with pytest.raises(MigrationFailed) as caught:
            apply_migration(conn, table, migration)
        (row,) = table.rows()
    assert caught.value.line == 4 and caught.value.migration_id == migration.id
    assert 'relation "a" already exists' in caught.value.message
    assert (row.state, row.error_line) == ("failed", 4)
    assert 'relation "a" already exists' in (row.error or "")
    assert "a" not in tables(database)


def test_error_position_gives_the_exact_line_inside_a_statement(database: str) -> None:
    migration = Migration("20261126093000_pos", "CREATE TABLE a (\n  id int,\n  name txet\n);\n")
    with psycopg.connect(database, autocommit=True) as conn:
        with pytest.raises(MigrationFailed) as caught:
            apply_migration(conn, HistoryTable(conn, "public.teamigrate_history"), migration)
    assert caught.value.line == 3
    assert 'type "txet" does not exist' in caught.value.pg_message


def test_no_transaction_migration_runs_statement_by_statement(database: str) -> None:
    migration = Migration(
        "20261126093000_concurrently",
        "-- teamigrate: no-transaction\nCREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_id ON a (id);\nSELECT nope;\n",
    )
    with psycopg.connect(database, autocommit=True) as conn:
        table = HistoryTable(conn, "public.teamigrate_history")
        with pytest.raises(MigrationFailed) as caught:
            apply_migration(conn, table, migration)
        (row,) = table.rows()
        index = conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'a'").fetchall()
    # Outside a transaction the statements before the failure stay: that is why the row says failed.
    assert caught.value.line == 4
    assert index == [("a_id",)]
    assert row.state == "failed"


def test_rollback_runs_down_sql_and_marks_the_row(database: str) -> None:
    migration = Migration("20261126093000_init", "CREATE TABLE a (id int);\n", "DROP TABLE a;\n")
    with psycopg.connect(database, autocommit=True) as conn:
        table = HistoryTable(conn, "public.teamigrate_history")
        apply_migration(conn, table, migration)
        with pytest.raises(MigrationError) as caught:
            rollback_migration(conn, table, migration.id, None)
        assert caught.value.code == "TM222"
        rollback_migration(conn, table, migration.id, table.rows()[0].down_sql)
        assert table.rows()[0].state == "rolled_back"
    assert "a" not in tables(database)


def test_replay_builds_the_schema_without_a_history_table(database: str) -> None:
    migrations = [
        Migration("20261126093000_a", "CREATE TABLE a (id int PRIMARY KEY);\n"),
        Migration("20261126093100_b", "-- teamigrate: no-transaction\nCREATE TABLE b (a_id int REFERENCES a);\nCREATE INDEX CONCURRENTLY b_a ON b (a_id);\n"),
    ]
    seen: list[str] = []
    replay(database, migrations, progress=lambda m: seen.append(m.id))
    assert tables(database) == {"a", "b"}
    assert seen == [m.id for m in migrations]


def test_history_table_creation_is_safe_when_many_start_at_once(database: str) -> None:
    import threading

    errors: list[BaseException] = []

    def first_use() -> None:
        try:
            with psycopg.connect(database, autocommit=True) as conn:
                HistoryTable(conn, "fresh_schema.history").ensure()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_foreign_table_with_the_history_name_is_refused(database: str) -> None:
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("CREATE TABLE teamigrate_history (id int)")
        with pytest.raises(DatabaseError) as caught:
            HistoryTable(conn, "public.teamigrate_history").ensure()
    assert caught.value.code == "TM221"


def test_rows_follow_rename_and_delete(database: str) -> None:
    migration = Migration("20261126093000_init", "SELECT 1;\n")
    with psycopg.connect(database, autocommit=True) as conn:
        table = HistoryTable(conn, "public.teamigrate_history")
        assert table.rows() == () and not table.exists()  # reading does not create it
        apply_migration(conn, table, migration)
        table.rename(migration.id, "20261127093000_init")
        assert [r.id for r in table.rows()] == ["20261127093000_init"]
        assert table.rows()[0].checksum == migration.checksum
        table.delete("20261127093000_init")
        assert table.rows() == ()


def test_each_migration_starts_from_the_login_session(database: str) -> None:
    import uuid

    role = "tm_owner_" + uuid.uuid4().hex[:8]
    first = Migration("20261126093000_settings", f"CREATE SCHEMA app;\nGRANT ALL ON SCHEMA app TO {role};\nSET search_path = app;\nSET ROLE {role};\nCREATE TABLE owned (id int);\n")
    second = Migration("20261126093100_plain", "CREATE TABLE plain (id int);\n")
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role}")
        try:
            table = HistoryTable(conn, "public.teamigrate_history")
            apply_migration(conn, table, first)
            apply_migration(conn, table, second)
            placed = conn.execute("SELECT relnamespace::regnamespace::text, pg_get_userbyid(relowner) FROM pg_class WHERE relname IN ('owned', 'plain') ORDER BY relname").fetchall()
            assert [r.state for r in table.rows()] == ["applied", "applied"]
            (login,) = conn.execute("SELECT session_user").fetchone() or ("",)
            assert conn.execute("SELECT current_user").fetchone() == (login,)
            conn.execute("DROP SCHEMA app CASCADE")
        finally:
            conn.execute(f"DROP ROLE {role}")
    assert placed == [("app", role), ("public", login)]


@pytest.mark.parametrize(
    ("sql", "line", "message"),
    [
        ("CREATE TABLE a (id int);\nCREATE TABLE b (\n  x txet\n);\n", 3, 'type "txet" does not exist'),  # PostgreSQL gives a position
        ("CREATE TABLE a (id int);\n\nCREATE TABLE a (id int);\n", 3, 'relation "a" already exists'),  # it does not
    ],
)
def test_replay_failures_name_the_line_whether_or_not_postgresql_gives_a_position(database: str, sql: str, line: int, message: str) -> None:
    migrations = [Migration("20261126093000_ok", "CREATE TABLE ok (id int);\n"), Migration("20261126093100_bad", sql)]
    with pytest.raises(MigrationFailed) as caught:
        replay(database, migrations)
    assert (caught.value.migration_id, caught.value.line) == ("20261126093100_bad", line)
    assert message in caught.value.pg_message
    assert tables(database) == {"ok"}


def test_replay_refuses_what_deploy_refuses(database: str) -> None:
    with pytest.raises(MigrationError) as caught:
        replay(database, [Migration("20261126093000_tx", "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n")])
    assert caught.value.code == "TM213"
    assert tables(database) == set()

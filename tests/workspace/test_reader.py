"""Schemas read in rolled-back transactions and kept in the schema store: the same schema as a full replay, templates left as they were."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from teamigrate.database import TransactionEnded, connect, rolled_back
from teamigrate.errors import TeamigrateError
from teamigrate.history.apply import code_only, controls_transaction, replay
from teamigrate.history.migrations import Migration
from teamigrate.history.sumfile import SumFile
from teamigrate.workspace.reader import EMPTY_DATABASE, SchemaReader, SchemaStore
from teamigrate.schema.introspect import introspect
from teamigrate.schema.model import Schema
from teamigrate.workspace.files import SqlFile, load_sql_files
from teamigrate.workspace.replay_cache import ReplayCache, cache_name
from tests.schema.pgdump_oracle import dump_schema, normalise

EXCLUDE = (("public", "teamigrate_history"),)


def _history(tag: str, count: int) -> list[Migration]:
    """`count` migrations unique to this test (the session's server and cache are shared)."""
    migrations = [Migration(f"20260101{n:06d}_t{n}", f"CREATE TABLE {tag}_t{n} (id bigint PRIMARY KEY, note text);\n") for n in range(count)]
    migrations.append(Migration(f"20260101{count:06d}_view", f"CREATE VIEW {tag}_v AS SELECT id FROM {tag}_t0;\nCOMMENT ON VIEW {tag}_v IS 'seen';\n"))
    return migrations


def _full_replay(shadow_server, migrations: list[Migration]) -> Schema:  # type: ignore[no-untyped-def]
    with shadow_server.scratch() as url:
        replay(url, migrations)
        with connect(url) as conn:
            return introspect(conn, exclude_tables=EXCLUDE)


def _reader(shadow_server, tmp_path: Path) -> SchemaReader:  # type: ignore[no-untyped-def]
    return SchemaReader(shadow_server, EXCLUDE, SchemaStore(tmp_path / "store"))


def _cache_prefix(shadow_server, migrations: list[Migration]) -> str:  # type: ignore[no-untyped-def]
    """Replay `migrations` through the replay cache, so that their prefix is a template; its name."""
    chain = SumFile.compute(migrations).hashes
    with ReplayCache(shadow_server).replayed(migrations, chain, replay):
        pass
    return cache_name(chain[-1])


def test_history_tail_runs_on_the_template_and_leaves_it_as_it_was(shadow_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    migrations = _history("tail", 4)
    template = _cache_prefix(shadow_server, migrations[:3])
    before = normalise(dump_schema(shadow_server.database_url(template)))

    schema = _reader(shadow_server, tmp_path).of_history(migrations)

    assert schema == _full_replay(shadow_server, migrations)
    assert any(key[-1] == "tail_v" for key in schema.views)
    assert normalise(dump_schema(shadow_server.database_url(template))) == before
    # The tail ran on the template itself: no copy of it was stored as a new prefix.
    chain = SumFile.compute(migrations).hashes
    assert not shadow_server.database_exists(cache_name(chain[-1]))


def test_a_failing_tail_names_its_line_and_leaves_the_template_as_it_was(shadow_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    migrations = _history("failing", 2)[:2]
    template = _cache_prefix(shadow_server, migrations)
    before = normalise(dump_schema(shadow_server.database_url(template)))
    broken = Migration("20260102000000_broken", "CREATE TABLE failing_ok (id int);\n/* then */ COMMIT;\nCREATE TABLE failing_late (id int);\n")
    with pytest.raises(TeamigrateError) as raised:
        _reader(shadow_server, tmp_path).of_history([*migrations, broken])
    assert raised.value.code == "TM213" and "line 2" in raised.value.message
    assert normalise(dump_schema(shadow_server.database_url(template))) == before

    typo = Migration("20260102000000_typo", "CREATE TABLE failing_ok (id int);\nCREATE TABLE failing_t0 (id int);\n")
    with pytest.raises(TeamigrateError) as raised:
        _reader(shadow_server, tmp_path).of_history([*migrations, typo])
    assert raised.value.code == "TM211" and "line 2" in raised.value.message and "already exists" in raised.value.message
    assert normalise(dump_schema(shadow_server.database_url(template))) == before


def test_schema_files_are_read_in_a_transaction_and_the_store_answers_next_time(shadow_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = [SqlFile("schema.sql", "CREATE TYPE mood AS ENUM ('ok', 'sad');\nCREATE TABLE people (id bigint PRIMARY KEY, mood mood DEFAULT 'ok');\n"
                     "CREATE FUNCTION greet() RETURNS text LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 'hi';\nEND;\n$$;\n")]
    reader = _reader(shadow_server, tmp_path)
    schema = reader.of_files(files)
    with shadow_server.scratch() as url:
        load_sql_files(url, files)
        with connect(url) as conn:
            assert schema == introspect(conn, exclude_tables=EXCLUDE)
    # The empty database is still empty.
    with connect(shadow_server.database_url(EMPTY_DATABASE)) as conn:
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace").fetchone() == (0,)

    assert reader.of_files(files) == schema  # from the store
    stored = list(reader.store.folder.glob("files-*.pickle"))
    assert len(stored) == 1
    key = stored[0].name.removesuffix(".pickle")
    reader.store.put(key, Schema())  # what the store holds is what the next read returns
    assert reader.of_files(files) == Schema()
    stored[0].write_bytes(b"not a pickle")  # a damaged entry is built again
    assert reader.of_files(files) == schema


def test_remembered_schemas_answer_exactly_the_reads_they_are_remembered_for(shadow_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reader = _reader(shadow_server, tmp_path)
    migrations = _history("remembered", 2)
    files = [SqlFile("schema.sql", "CREATE TABLE remembered_file (id int);\n")]
    # An empty schema stands for what `new` built: a read that returns it was answered by the store.
    reader.remember_history(migrations, Schema())
    reader.remember_files(files, Schema())
    assert reader.of_history(migrations) == Schema()
    assert reader.of_files(files) == Schema()

    assert reader.of_history(migrations[:-1]) != Schema()
    assert reader.of_files([SqlFile("other.sql", files[0].text)]) != Schema()
    assert reader.of_files([SqlFile("schema.sql", files[0].text + "\n")]) != Schema()
    other_exclude = SchemaReader(shadow_server, (), reader.store)
    assert other_exclude.of_files(files) != Schema()


def test_files_that_cannot_run_in_a_transaction_are_loaded_into_a_scratch_database(shadow_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reader = _reader(shadow_server, tmp_path)
    concurrently = [SqlFile("schema.sql", "CREATE TABLE c (id int);\nCREATE INDEX CONCURRENTLY c_id ON c (id);\n")]
    assert any(key[-1] == "c_id" for key in reader.of_files(concurrently).indexes)
    committing = [SqlFile("schema.sql", "BEGIN;\nCREATE TABLE committed_here (id int);\nCOMMIT;\n")]
    assert any(key[-1] == "committed_here" for key in reader.of_files(committing).tables)
    with connect(shadow_server.database_url(EMPTY_DATABASE)) as conn:
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace").fetchone() == (0,)


def test_invalid_schema_files_name_file_and_line(shadow_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = [SqlFile("a.sql", "CREATE TABLE a (id int);\n"), SqlFile("b.sql", "CREATE TABLE b (id int);\nCREATE TABLE b (id int);\n")]
    with pytest.raises(TeamigrateError) as raised:
        _reader(shadow_server, tmp_path).of_files(files)
    assert raised.value.code == "TM303" and raised.value.message.startswith("b.sql:2:")


def test_rolled_back_tells_when_the_block_committed(database: str) -> None:
    with connect(database) as conn:
        with rolled_back(conn):
            conn.execute("CREATE TABLE kept_not (id int)")
        assert conn.execute("SELECT to_regclass('kept_not')").fetchone() == (None,)
        with pytest.raises(TransactionEnded):
            with rolled_back(conn):
                conn.execute("CREATE TABLE kept (id int); COMMIT")
        assert conn.execute("SELECT to_regclass('kept')::text").fetchone() == ("kept",)
        with pytest.raises(psycopg.errors.DivisionByZero):
            with rolled_back(conn):
                conn.execute("CREATE TABLE kept_neither (id int)")
                conn.execute("SELECT 1 / 0")
        assert conn.execute("SELECT to_regclass('kept_neither')").fetchone() == (None,)


@pytest.mark.parametrize(("sql", "controls"), [
    ("BEGIN; SELECT 1; COMMIT;", True),
    ("/* why */ COMMIT;", True),
    ("START TRANSACTION;", True),
    ("SELECT 'COMMIT';", False),
    ('SELECT "commit" FROM t;', False),
    ("CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$;", False),
    ("CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN RETURN 1; END;\n$body$;\nCOMMIT;", True),
    ("ROLLBACK TO SAVEPOINT a;", False),
    ("CREATE SEQUENCE s START WITH 1;", False),
    ("SELECT 1; -- COMMIT\n", False),
    ("SELECT E'it\\'s'; COMMIT;", True),
    ("/* a /* nested */ COMMIT */ SELECT 1;", False),
])
def test_controls_transaction_reads_past_strings_bodies_and_comments(sql: str, controls: bool) -> None:
    assert controls_transaction(sql) is controls


def test_code_only_keeps_the_statement_separators_outside_strings_bodies_and_comments() -> None:
    sql = "SELECT 'a;b', \"c;d\"; -- e;f\nCREATE FUNCTION g() RETURNS int LANGUAGE sql AS $x$ SELECT 1; $x$; /* h; */ SELECT 2;"
    assert [part.split() for part in code_only(sql).split(";")] == [
        ["SELECT", ","], ["CREATE", "FUNCTION", "g()", "RETURNS", "int", "LANGUAGE", "sql", "AS"], ["SELECT", "2"], [],
    ]


def test_a_template_held_open_longer_than_postgresql_waits_is_replayed_around(shadow_server) -> None:  # type: ignore[no-untyped-def]
    migrations = _history("held", 2)
    template = _cache_prefix(shadow_server, migrations[:2])
    chain = SumFile.compute(migrations).hashes
    with connect(shadow_server.database_url(template)):  # as read_after does; CREATE DATABASE waits 5 s, then refuses
        with ReplayCache(shadow_server).replayed(migrations, chain, replay) as url, connect(url) as conn:
            assert introspect(conn, exclude_tables=EXCLUDE) == _full_replay(shadow_server, migrations)

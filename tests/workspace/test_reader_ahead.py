"""Schema files loaded and read over libpq ahead of psycopg (workspace/read_ahead.py): the same rows, schema and verdicts as psycopg's way."""

from __future__ import annotations

from pathlib import Path

import pytest

from teamigrate import libpq
from teamigrate.config import Config, load_config
from teamigrate.database import connect
from teamigrate.errors import TeamigrateError
from teamigrate.schema.introspect import read_catalog
from teamigrate.workspace.files import SqlFile, load_sql_files
from teamigrate.workspace.read_ahead import FilesAhead, _catalog_rows
from teamigrate.workspace.reader import EMPTY_DATABASE, SchemaReader, SchemaStore

EXCLUDE = (("public", "teamigrate_history"),)
TESTS = Path(__file__).resolve().parent.parent
# Catalog rows of every type introspection reads: enums (name[]), grants and comments (jsonb), policies (text[]),
# partitions and inheritance (oid[]), identity columns, domains with checks, a view with column comments.
FIXTURES = ["schema/realistic/schema.sql", *(f"schema/fixtures/{name}/b.sql" for name in (
    "020_enum_added", "005_schema_added_with_objects", "044_domain_over_enum_added", "050_sequence_added",
))]
ODD_VALUES = r'''
CREATE SCHEMA "we""ird, one";
CREATE TYPE "we""ird, one".mood AS ENUM ('a,b', 'NULL', 'say "hi"', 'back\slash', '{brace}', ' padded ', '');
CREATE TABLE "we""ird, one"."t{1}" (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, m "we""ird, one".mood DEFAULT 'a,b', x float8 DEFAULT 0.1);
CREATE TABLE "we""ird, one".child () INHERITS ("we""ird, one"."t{1}");
CREATE POLICY "p ""q""" ON "we""ird, one"."t{1}" TO PUBLIC, postgres USING (id > 0);
COMMENT ON COLUMN "we""ird, one"."t{1}".m IS 'é "quoted" \ and
a new line';
GRANT SELECT ON "we""ird, one"."t{1}" TO PUBLIC;
'''


def _config(tmp_path: Path) -> Config:
    root = tmp_path / "project"
    root.mkdir()
    (root / "teamigrate.yaml").write_text("database_url: ''\nmigrations: migrations\n")
    return load_config(root)


def _reader(shadow_server, tmp_path: Path) -> SchemaReader:  # type: ignore[no-untyped-def]
    reader = SchemaReader(shadow_server, EXCLUDE, SchemaStore(tmp_path / "store"))
    reader._empty_database()
    return reader


def test_catalog_rows_read_over_libpq_are_the_ones_psycopg_reads(shadow_server) -> None:  # type: ignore[no-untyped-def]
    library = libpq.load()
    assert library is not None
    texts = [(TESTS / path).read_text() for path in FIXTURES] + [ODD_VALUES]
    for text in texts:
        with shadow_server.scratch() as url:
            load_sql_files(url, [SqlFile("schema.sql", text)])
            with connect(url) as conn:
                expected = read_catalog(conn).read
            session = library.connect(url)
            try:
                session.send("BEGIN")
                got = _catalog_rows(session).read
            finally:
                session.close()
        # The same database: the same oids, and every value of the same type and value as psycopg's.
        assert got == expected
        assert [[type(v) for row in rows for v in row] for rows in got.values()] == [[type(v) for row in rows for v in row] for rows in expected.values()]
    assert any("say \"hi\"" in row[6] for row in expected["types"] if row[6])  # the odd enum labels were read


def test_files_loaded_ahead_give_the_schema_psycopgs_way_gives(shadow_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reader = _reader(shadow_server, tmp_path)
    # (The realistic schema has a BEGIN ATOMIC body: a file whose END closes a statement goes to a scratch database either way.)
    files = [SqlFile(f"schema/{n}.sql", (TESTS / path).read_text()) for n, path in enumerate(FIXTURES[1:])] + [SqlFile("schema/odd.sql", ODD_VALUES)]
    ahead = FilesAhead(_config(tmp_path), [(f.name, f.text) for f in files], EXCLUDE)
    key = reader._files_key(files)
    loaded = ahead.rows(key)
    assert loaded is not None, "loaded over libpq"
    assert reader.of_files(files, ahead) == reader._load_files(files)  # psycopg's way: loaded and read again
    assert ahead.rows("files-another-key") is None  # other files, server or code: not these rows
    # Nothing was left in the empty database.
    with connect(shadow_server.database_url(EMPTY_DATABASE)) as conn:
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace <> ALL (ARRAY['pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace])").fetchone() == (0,)


@pytest.mark.parametrize(("text", "why"), [
    ("CREATE TABLE fine (id int);\nCREATE TABLE broken (id nosuchtype);\n", "fails"),
    ("CREATE TABLE one (id int);\nCOMMIT;\nCREATE TABLE two (id int);\n", "commits"),
    ("CREATE TABLE copied (id int);\nCREATE INDEX CONCURRENTLY copied_id ON copied (id);\n", "cannot run in a transaction"),
    ("CREATE TABLE copied (id int);\nCOPY copied (id) FROM stdin;\n1\n\\.\n", "copies"),
])
def test_files_not_loaded_ahead_get_psycopgs_verdict(shadow_server, tmp_path: Path, text: str, why: str) -> None:  # type: ignore[no-untyped-def]
    reader = _reader(shadow_server, tmp_path)
    files = [SqlFile("schema.sql", text)]
    ahead = FilesAhead(_config(tmp_path), [("schema.sql", text)], EXCLUDE)
    assert ahead.rows(reader._files_key(files)) is None, why
    other = SchemaReader(shadow_server, EXCLUDE, SchemaStore(tmp_path / "other"))
    try:
        expected: object = other.of_files(files)
    except TeamigrateError as err:
        expected = (err.code, err.message)
    try:
        got: object = reader.of_files(files, ahead)
    except TeamigrateError as err:
        got = (err.code, err.message)
    assert got == expected
    if why == "fails":
        assert got == ("TM303", "schema.sql:2: type \"nosuchtype\" does not exist")
    if why == "copies":  # pg_dump's data: named, not sent (psycopg would wait for the data stream)
        assert got == ("TM303", "schema.sql:2: COPY … FROM stdin / TO stdout needs psql's data stream")
    with connect(shadow_server.database_url(EMPTY_DATABASE)) as conn:  # the empty database stayed empty
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relname IN ('fine', 'one', 'two', 'copied')").fetchone() == (0,)


def test_a_stored_schema_is_not_loaded_again_ahead(shadow_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reader = SchemaReader(shadow_server, EXCLUDE)  # the default store, which the thread looks in
    reader._empty_database()
    files = [SqlFile("schema.sql", f"CREATE TABLE stored (id int);\n-- {tmp_path.name}\n")]
    schema = reader.of_files(files)
    ahead = FilesAhead(_config(tmp_path), [("schema.sql", files[0].text)], EXCLUDE)
    assert ahead.rows(reader._files_key(files)) is None
    assert reader.of_files(files, ahead) == schema

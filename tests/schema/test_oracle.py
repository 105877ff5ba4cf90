"""The pg_dump oracle itself: what it must treat as equal, and what it must not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.schema.pgdump_oracle import assert_same_schema, dump_schema, normalise, split_statements
from tests.schema.test_roundtrip import load_sql

MakeDatabase = Callable[[], str]


def normalised_dump(make_database: MakeDatabase, sql: str) -> list[str]:
    url = make_database()
    load_sql(url, sql)
    return normalise(dump_schema(url))


def test_empty_database_normalises_to_nothing(make_database: MakeDatabase) -> None:
    text = dump_schema(make_database())
    assert "SET " in text and "--" in text  # the noise is there to be dropped
    assert normalise(text) == []


def test_same_database_dumped_twice_compares_equal_despite_restrict_keys(make_database: MakeDatabase) -> None:
    url = make_database()
    load_sql(url, "CREATE TABLE t (id integer PRIMARY KEY, name text);")
    first, second = dump_schema(url), dump_schema(url)
    if "\\restrict " in first:
        # PG18's pg_dump prints a random key on every run.
        assert first != second
    assert normalise(first) == normalise(second)
    assert not any(statement.startswith("\\") for statement in normalise(first))


def test_column_order_is_ignored(make_database: MakeDatabase) -> None:
    a = normalised_dump(make_database, "CREATE TABLE t (a integer NOT NULL, b text DEFAULT 'x', CONSTRAINT t_a CHECK (a > 0));")
    b = normalised_dump(make_database, "CREATE TABLE t (b text DEFAULT 'x', a integer NOT NULL, CONSTRAINT t_a CHECK (a > 0));")
    assert a == b


def test_statement_order_is_ignored(make_database: MakeDatabase) -> None:
    a = normalised_dump(make_database, "CREATE TABLE x (id integer); CREATE TABLE y (id integer); CREATE INDEX y_id ON y (id);")
    b = normalised_dump(make_database, "CREATE TABLE y (id integer); CREATE INDEX y_id ON y (id); CREATE TABLE x (id integer);")
    assert a == b


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("CREATE TABLE t (a integer DEFAULT 1);", "CREATE TABLE t (a integer DEFAULT 2);"),
        ("CREATE TABLE t (a integer);", "CREATE TABLE t (a bigint);"),
        ("CREATE TABLE t (a integer);", "CREATE TABLE t (a integer NOT NULL);"),
        ("CREATE TYPE e AS ENUM ('x', 'y');", "CREATE TYPE e AS ENUM ('y', 'x');"),
        ("CREATE TYPE c AS (x integer, y integer);", "CREATE TYPE c AS (y integer, x integer);"),
        ("CREATE TABLE t (a integer);", "CREATE TABLE t (a integer); COMMENT ON TABLE t IS 'kept';"),
        ("CREATE SEQUENCE s;", "CREATE SEQUENCE s CACHE 5;"),
        ("CREATE TABLE t (a integer);", "CREATE UNLOGGED TABLE t (a integer);"),
        ("CREATE FUNCTION f() RETURNS integer LANGUAGE sql AS 'SELECT 1';", "CREATE FUNCTION f() RETURNS integer LANGUAGE sql AS 'SELECT 2';"),
        ("CREATE FUNCTION f() RETURNS integer LANGUAGE sql AS $$SELECT 1\n$$;", "CREATE FUNCTION f() RETURNS integer LANGUAGE sql AS $$SELECT 1   \n$$;"),
    ],
    ids=["default", "type", "not-null", "enum-order", "composite-order", "comment", "sequence-cache", "unlogged", "function-body", "body-trailing-spaces"],
)
def test_a_real_difference_is_seen(make_database: MakeDatabase, first: str, second: str) -> None:
    assert normalised_dump(make_database, first) != normalised_dump(make_database, second)


def test_assert_same_schema_shows_a_unified_diff(make_database: MakeDatabase) -> None:
    a = normalised_dump(make_database, "CREATE TABLE t (a integer DEFAULT 1);")
    b = normalised_dump(make_database, "CREATE TABLE t (a integer DEFAULT 2);")
    with pytest.raises(AssertionError) as failure:
        assert_same_schema(a, b, "after.sql", "expected.sql", "ALTER TABLE t ...")
    message = str(failure.value)
    assert "--- expected.sql" in message and "+++ after.sql" in message
    assert "-    a integer DEFAULT 2" in message and "+    a integer DEFAULT 1" in message
    assert message.endswith("--- plan ---\nALTER TABLE t ...")


def test_function_bodies_stay_whole(make_database: MakeDatabase) -> None:
    body = """
        CREATE FUNCTION f(x integer) RETURNS text LANGUAGE plpgsql AS $body$
        BEGIN
            -- a comment line inside the body; and a semicolon;

            IF x > 0 THEN RETURN 'it''s positive;'; END IF;
            RETURN $q$dollar; quoted$q$;
        END
        $body$;
        COMMENT ON FUNCTION f(integer) IS 'semi; colon
        -- and a line that looks like a comment';
    """
    statements = normalised_dump(make_database, body)
    assert len(statements) == 2
    function = next(s for s in statements if s.startswith("CREATE FUNCTION"))
    assert "-- a comment line inside the body; and a semicolon;\n\n" in function
    assert function.endswith("END\n        $_$;")  # pg_dump picks its own dollar tag
    comment = next(s for s in statements if s.startswith("COMMENT ON FUNCTION"))
    assert "-- and a line that looks like a comment';" in comment


def test_split_statements_on_text() -> None:
    text = "\n".join([
        "--",
        "-- Name: t; Type: TABLE",
        "--",
        "SET default_table_access_method = heap;",
        "SELECT pg_catalog.set_config('search_path', '', false);",
        "\\restrict abc123",
        "",
        'CREATE TABLE public."semi;colon" (',
        "    \"it's\" text DEFAULT 'a;'::text,",
        "    id integer",
        ");",
        "",
        "COMMENT ON TABLE public.\"semi;colon\" IS 'x';",
        "\\unrestrict abc123",
    ])
    assert split_statements(text) == [
        'CREATE TABLE public."semi;colon" (\n    "it\'s" text DEFAULT \'a;\'::text,\n    id integer\n);',
        "COMMENT ON TABLE public.\"semi;colon\" IS 'x';",
    ]
    assert normalise(text)[1] == 'CREATE TABLE public."semi;colon" (\n    "it\'s" text DEFAULT \'a;\'::text\n    id integer\n);'


def test_table_options_after_the_body_are_kept(make_database: MakeDatabase) -> None:
    statements = normalised_dump(
        make_database,
        "CREATE TABLE p (b integer, a date NOT NULL) PARTITION BY RANGE (a);"
        "CREATE TABLE q (b integer, a integer) WITH (fillfactor = 50);",
    )
    assert "CREATE TABLE public.p (\n    a date NOT NULL\n    b integer\n)\nPARTITION BY RANGE (a);" in statements
    assert "CREATE TABLE public.q (\n    a integer\n    b integer\n)\nWITH (fillfactor='50');" in statements

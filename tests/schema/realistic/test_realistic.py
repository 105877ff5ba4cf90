"""A 50-table application schema, generated from nothing: the SQL rebuilds it exactly, and the summary reads by table."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from teamigrate.database import connect
from teamigrate.server.shadow import ShadowServer
from teamigrate.server.cluster import embedded_bin_dir
from tests.schema.pgdump_oracle import assert_same_schema, dump_schema, normalise
from tests.schema.test_roundtrip import apply_plan, introspect_url, load_sql, pg15_server  # noqa: F401 - pg15_server is a fixture

SCHEMA_SQL = Path(__file__).parent / "schema.sql"


@pytest.fixture(params=["pg18", "pg15"])
def server(request: pytest.FixtureRequest) -> ShadowServer:
    found: ShadowServer = request.getfixturevalue("shadow_server" if request.param == "pg18" else "pg15_server")
    return found


def test_generated_sql_rebuilds_the_schema_from_empty(server: ShadowServer) -> None:
    from teamigrate.schema import diff_schemas

    with server.scratch() as realistic, server.scratch() as empty:
        load_sql(realistic, SCHEMA_SQL.read_text())
        tables = count_tables(realistic)
        assert tables >= 50, f"the realistic schema has only {tables} tables"
        plan = diff_schemas(introspect_url(empty), introspect_url(realistic))
        with connect(empty) as conn:
            apply_plan(conn, plan)
        assert_same_schema(normalise(dump_schema(empty)), normalise(dump_schema(realistic)), "empty + plan", "schema.sql", plan.to_sql())
        assert diff_schemas(introspect_url(empty), introspect_url(realistic)).is_empty


def test_summary_has_one_line_per_change_grouped_by_table(shadow_server: ShadowServer) -> None:
    from teamigrate.schema import diff_schemas
    from teamigrate.schema.summary import render_summary

    with shadow_server.scratch() as realistic, shadow_server.scratch() as empty:
        load_sql(realistic, SCHEMA_SQL.read_text())
        plan = diff_schemas(introspect_url(empty), introspect_url(realistic))
        table_names = qualified_tables(realistic)

    summary = render_summary(plan)
    groups = summary_groups(summary)
    change_lines = [line for lines in groups.values() for line in lines]
    assert len(change_lines) == len(plan.changes), summary
    assert len(groups) == len(set(groups)), "a table is listed in two places"
    for table in table_names:
        heading = next((name for name in groups if name in (table, table.removeprefix("public."))), None)
        assert heading is not None, f"{table} has no group in the summary:\n{summary}"
        assert any(" table " in line for line in groups[heading]), f"{table}'s group does not say the table is added"
    for change in plan.changes:
        if change.table:
            group = groups.get(change.table) or groups.get(change.table.removeprefix("public."))
            assert group is not None and any(change.name.split(".")[-1] in line for line in group), (
                f"{change.kind} {change.name} is not listed under {change.table}"
            )


def summary_groups(summary: str) -> dict[str, list[str]]:
    """Headings (unindented lines) and the change lines under each, up to the first blank line."""
    groups: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in summary.splitlines():
        if not line.strip():
            break
        if line.startswith(" "):
            assert current is not None, f"a change line before any heading: {line!r}"
            current.append(line)
        else:
            assert line not in groups, f"heading {line!r} appears twice"
            current = groups[line] = []
    return groups


def count_tables(url: str) -> int:
    return len(qualified_tables(url))


def qualified_tables(url: str) -> list[str]:
    from teamigrate.database import connect

    with connect(url) as conn:
        rows = conn.execute(
            "SELECT format('%s.%s', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND n.nspname IN ('public', 'billing', 'audit', 'analytics')"
        ).fetchall()
    return [row[0] for row in rows]


def test_diff_command_from_empty_to_the_schema_file(tmp_path: Path, shadow_server: ShadowServer) -> None:
    from tests.conftest import run_cli

    result = run_cli(["diff", "--from", "empty", "--to", f"schema:{SCHEMA_SQL}"], tmp_path)
    assert result.returncode == 0, result.stderr
    generated = tmp_path / "generated.sql"
    generated.write_text(result.stdout)

    summary = run_cli(["diff", "--from", "empty", "--to", f"schema:{SCHEMA_SQL}", "--format", "summary", "--no-verify"], tmp_path)
    assert summary.returncode == 0, summary.stderr

    with shadow_server.scratch() as realistic, shadow_server.scratch() as rebuilt:
        load_sql(realistic, SCHEMA_SQL.read_text())
        # As a user would run it: psql, statement by statement, stopping at the first error.
        psql = embedded_bin_dir() / "psql"
        loaded = subprocess.run(
            [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(generated), "--dbname", rebuilt],
            capture_output=True, text=True, check=False,
        )
        assert loaded.returncode == 0, f"the generated SQL does not load: {loaded.stderr}"
        assert_same_schema(normalise(dump_schema(rebuilt)), normalise(dump_schema(realistic)), "generated.sql", "schema.sql")
        tables = qualified_tables(realistic)

    groups = summary_groups(summary.stdout)
    for table in tables:
        assert table in groups or table.removeprefix("public.") in groups, f"{table} missing from the summary:\n{summary.stdout}"

"""`diff` from and to every source, through the CLI: schema files, migrations, git refs, URLs, the database."""

from __future__ import annotations

import json
import re

import psycopg
import pytest

from tests.conftest import Project

USERS = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n"
ORDERS = "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n"


def _with_schema(project: Project, text: str) -> None:
    config = project.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace("# schema: schema.sql", "schema: schema.sql", 1))
    project.write("schema.sql", text)


def _error_codes(stderr: str) -> list[str]:
    return [line[len("error["):].split("]")[0] for line in stderr.splitlines() if line.startswith("error[")]


def test_empty_to_schema_is_sql_that_builds_it(project: Project) -> None:
    _with_schema(project, USERS + ORDERS)
    result = project.ok("diff", "--from", "empty", "--to", "schema")
    assert "CREATE TABLE" in result.stdout and "users" in result.stdout and "orders" in result.stdout
    with psycopg.connect(project.database_url, autocommit=True) as conn:
        conn.execute(result.stdout.encode())
    again = project.run("diff", "--from", "database", "--to", "schema", "--exit-code")
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""


def test_exit_code_summary_and_json(project: Project) -> None:
    _with_schema(project, USERS + ORDERS)
    project.write("migrations/20260101000000_users/migration.sql", USERS)
    project.ok("hash")
    changed = project.run("diff", "--from", "migrations", "--to", "schema", "--exit-code")
    assert changed.returncode == 2, changed.stderr
    summary = project.ok("diff", "--from", "migrations", "--to", "schema", "--format", "summary")
    assert "orders" in summary.stdout
    document = json.loads(project.ok("diff", "--from", "migrations", "--to", "schema", "--format", "json").stdout)
    assert any(change["kind"] == "table" and "orders" in change["name"] for change in document["changes"])


def test_git_ref_reads_committed_files_not_the_work_tree(project: Project) -> None:
    _with_schema(project, USERS)
    project.git("add", "-A")
    project.git("commit", "-q", "-m", "users")
    project.write("schema.sql", USERS + ORDERS)  # uncommitted
    result = project.ok("diff", "--from", "git:HEAD", "--to", "schema")
    assert "orders" in result.stdout and "CREATE TABLE public.users" not in result.stdout
    assert project.ok("diff", "--from", "git:HEAD:schema", "--to", "git:HEAD", "--exit-code").stdout == ""
    unknown = project.run("diff", "--from", "git:no-such-branch", "--to", "schema")
    assert unknown.returncode == 1 and _error_codes(unknown.stderr) == ["TM304"]


def test_schema_folder_and_invalid_sql_names_file_and_line(project: Project) -> None:
    project.write("db/01_users.sql", USERS)
    project.write("db/02_orders.sql", "\n\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES nowhere (id));\n")
    result = project.run("diff", "--from", "empty", "--to", "schema:db")
    assert result.returncode == 1
    assert _error_codes(result.stderr) == ["TM303"]
    assert "db/02_orders.sql:3" in result.stderr and "nowhere" in result.stderr
    assert "Traceback" not in result.stderr
    project.write("db/02_orders.sql", ORDERS)
    fixed = project.ok("diff", "--from", "empty", "--to", "schema:db")
    assert "orders" in fixed.stdout


def test_missing_extension_names_it_and_the_settings(project: Project) -> None:
    _with_schema(project, "CREATE EXTENSION postgis;\n" + USERS)
    result = project.run("diff", "--from", "empty", "--to", "schema")
    assert result.returncode == 1
    assert _error_codes(result.stderr) == ["TM116"]
    assert "postgis" in result.stderr and "shadow_pg_bin" in result.stderr and "shadow_database_url" in result.stderr


def test_unknown_source_and_password_never_printed(project: Project) -> None:
    bad = project.run("diff", "--from", "nonsense", "--to", "schema")
    assert bad.returncode == 1 and _error_codes(bad.stderr) == ["TM301"]
    unreachable = project.run("diff", "--from", "postgresql://me:hunter2@127.0.0.1:1/x", "--to", "empty")
    assert unreachable.returncode == 1 and _error_codes(unreachable.stderr) == ["TM111"]
    assert "hunter2" not in unreachable.stderr + unreachable.stdout


def test_the_proof_copes_with_a_session_open_on_the_database(project: Project) -> None:
    """The proof copies the source database; someone's open psql session must not break it."""
    _with_schema(project, USERS + ORDERS)
    with psycopg.connect(project.database_url, autocommit=True) as conn:
        conn.execute(USERS)
        result = project.run("diff", "--from", "database", "--to", "schema")
        assert result.returncode == 0, result.stderr
        assert "orders" in result.stdout


def test_extensions_are_created_without_a_pinned_version_unless_the_schema_pins_one(project: Project) -> None:
    """SQL generated on the PostgreSQL 18 shadow must run on an older production server: no VERSION by default."""
    _with_schema(project, "CREATE EXTENSION citext;\nCREATE EXTENSION hstore VERSION '1.4';\n")
    result = project.ok("diff", "--from", "empty", "--to", "schema")
    [citext] = [line for line in result.stdout.splitlines() if "CREATE EXTENSION" in line and "citext" in line]
    [hstore] = [line for line in result.stdout.splitlines() if "CREATE EXTENSION" in line and "hstore" in line]
    assert "VERSION" not in citext
    assert "VERSION '1.4'" in hstore


def test_objects_the_differ_does_not_manage_are_named(project: Project) -> None:
    _with_schema(project, USERS + "CREATE PUBLICATION everything FOR ALL TABLES;\n")
    result = project.ok("diff", "--from", "empty", "--to", "schema")
    assert "not compared" in result.stderr and "everything" in result.stderr
    assert "PUBLICATION" not in result.stdout


def test_a_shadow_role_without_createdb_is_refused_clearly(project: Project, shadow_server) -> None:  # type: ignore[no-untyped-def]
    from tests.commands.conftest import assert_refused

    admin = shadow_server.admin()
    admin.execute("DROP ROLE IF EXISTS tmtest_no_createdb")
    admin.execute("CREATE ROLE tmtest_no_createdb LOGIN")
    try:
        config = project.root / "teamigrate.yaml"
        socket = shadow_server.admin_url.split("host=", 1)[1]
        config.write_text(re.sub(r"^shadow_database_url:.*$", f"shadow_database_url: postgresql://tmtest_no_createdb@/postgres?host={socket}", config.read_text(), count=1, flags=re.M))
        refused = project.run("diff", "--from", project.database_url, "--to", "empty")
        assert_refused(refused, "TM306")
        assert "permission denied to create database" in refused.stderr and "CREATEDB" in refused.stderr
    finally:
        admin.execute("DROP ROLE IF EXISTS tmtest_no_createdb")


def test_a_name_another_process_created_meanwhile_is_not_taken_for_a_refusal(shadow_server) -> None:  # type: ignore[no-untyped-def]
    """Two processes caching the same state race to create one template name: the loser is told `DuplicateDatabase`
    (which the replay cache and the schema store take for "already cached"), not TM306's CREATEDB hint."""
    import uuid

    name = "tmtest_race_" + uuid.uuid4().hex[:8]
    shadow_server.create_database(name)
    try:
        with pytest.raises(psycopg.errors.DuplicateDatabase):
            shadow_server.create_database(name)
    finally:
        shadow_server.drop_database(name)

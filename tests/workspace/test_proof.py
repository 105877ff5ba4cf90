"""The proof applies a plan as deploy applies the migration made from it: the same transaction boundaries."""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg
import pytest

from teamigrate.config import Config
from teamigrate.errors import TeamigrateError
from teamigrate.history.apply import apply_migration
from teamigrate.history.migrations import Migration
from teamigrate.history.table import HistoryTable
from teamigrate.schema.plan import Plan, Statement
from teamigrate.workspace.proof import prove_plan
from teamigrate.workspace.schemas import Workspace
from tests.conftest import Project

BEFORE = "CREATE TYPE source AS ENUM ('app', 'api');\nCREATE TABLE visits (id bigint PRIMARY KEY, source source NOT NULL DEFAULT 'app');\n"
AFTER = "CREATE TYPE source AS ENUM ('app', 'api', 'web');\nCREATE TABLE visits (id bigint PRIMARY KEY, source source NOT NULL DEFAULT 'web');\n"


def _loaded(make_database, sql: str) -> str:  # type: ignore[no-untyped-def]
    url = make_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())
    return url


def test_a_transactional_plan_is_proven_in_one_transaction(shadow_server, make_database) -> None:  # type: ignore[no-untyped-def]
    """Statement by statement in autocommit this plan works; in the one transaction deploy gives it, PostgreSQL refuses it."""
    before, after = _loaded(make_database, BEFORE), _loaded(make_database, AFTER)
    workspace = Workspace(Config(path=Path("teamigrate.yaml")), shadow_server)
    target = workspace.introspect(after)
    plan = Plan([
        Statement("ALTER TYPE public.source ADD VALUE 'web'"),
        Statement("ALTER TABLE public.visits ALTER COLUMN source SET DEFAULT 'web'::public.source"),
    ])
    assert plan.transactional
    with pytest.raises(TeamigrateError) as refused:
        prove_plan(workspace, before, plan, target)
    assert refused.value.code == "TM310" and "statement 2" in refused.value.message and "web" in refused.value.message
    # The same statements, marked as a no-transaction migration (as the differ marks them), prove.
    prove_plan(workspace, before, Plan([Statement(s.sql, transactional=False) for s in plan.statements]), target)


def test_diff_output_deploys_as_it_was_proven(project: Project, make_database) -> None:  # type: ignore[no-untyped-def]
    before, after = _loaded(make_database, BEFORE), _loaded(make_database, AFTER)
    result = project.ok("diff", "--from", before, "--to", after)
    assert result.stdout.startswith("-- teamigrate: no-transaction\n"), result.stdout
    migration = Migration("20260101000000_add_web", result.stdout)
    assert not migration.transactional
    with psycopg.connect(before, autocommit=True) as conn:
        apply_migration(conn, HistoryTable(conn, "public.teamigrate_history"), migration)
    assert project.run("diff", "--from", before, "--to", after, "--exit-code").returncode == 0


def test_a_live_database_copied_by_pg_dump_is_loaded_once(project: Project, shadow_server, make_database) -> None:  # type: ignore[no-untyped-def]
    from teamigrate.workspace.schemas import DUMP_PREFIX, _pg_dump_schema

    before, after = _loaded(make_database, BEFORE), _loaded(make_database, AFTER)
    template = DUMP_PREFIX + hashlib.sha256(_pg_dump_schema(shadow_server, before).encode()).hexdigest()[:24]
    shadow_server.drop_database(template)

    def template_oid() -> object:
        row = shadow_server.admin().execute("SELECT oid FROM pg_database WHERE datname = %s", (template,)).fetchone()
        return row[0] if row else None

    # A session left open on `before` keeps it from being a template: the proof copies it by pg_dump.
    with psycopg.connect(before, autocommit=True):
        first = project.ok("diff", "--from", before, "--to", after)
        made = template_oid()
        assert made is not None
        second = project.ok("diff", "--from", before, "--to", after)
    assert second.stdout == first.stdout and template_oid() == made  # the same load, copied again
    count = shadow_server.admin().execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", (DUMP_PREFIX + "%",)).fetchone()[0]
    assert 1 <= count <= 4  # the newest few are kept
    shadow_server.drop_database(template)

"""The down.sql `new` writes undoes its migration, for every fixture pair of the schema engine (pg_dump is the judge)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from teamigrate.database import connect
from teamigrate.workspace.drafting import MigrationDraft
from teamigrate.commands.new import migration_from_draft
from teamigrate.history.apply import execute_migration_sql
from teamigrate.history.migrations import Migration
from teamigrate.schema.diff import diff_schemas
from teamigrate.server.shadow import ShadowServer
from tests.schema.pgdump_oracle import assert_same_schema, dump_schema, normalise
from tests.schema.test_roundtrip import PAIRS, LoadedSides, is_unchanged

CHANGED = [pair for pair in PAIRS if not is_unchanged(pair)]
MIGRATION_ID = "20260101000000_fixture_change"


@pytest.fixture(scope="module")
def sides() -> Iterator[LoadedSides]:
    loaded = LoadedSides()
    yield loaded
    loaded.drop_all()


def run(url: str, migration: Migration) -> None:
    with connect(url) as conn:
        execute_migration_sql(conn, migration)


@pytest.mark.parametrize("pair", CHANGED, ids=[pair.name for pair in CHANGED])
def test_down_sql_undoes_the_migration(pair: Path, shadow_server: ShadowServer, sides: LoadedSides) -> None:
    a = sides.get(shadow_server, pair, "a")
    b = sides.get(shadow_server, pair, "b")
    draft = MigrationDraft(a.schema, b.schema, diff_schemas(a.schema, b.schema), diff_schemas(b.schema, a.schema))
    migration = migration_from_draft(MIGRATION_ID, draft, f"fixture {pair.name}")
    assert migration.down_sql is not None, f"{pair.name}: a change with no down.sql"
    down = Migration(MIGRATION_ID, migration.down_sql)

    # a.sql's own database (its dump and model, taken before, stay as they were): a copy would cost a CREATE DATABASE.
    url = sides.take(shadow_server, pair, "a").url
    run(url, migration)
    assert_same_schema(normalise(dump_schema(url)), b.dump, "a.sql + migration.sql", "b.sql", migration.sql)
    run(url, down)
    assert_same_schema(normalise(dump_schema(url)), a.dump, "a.sql + migration.sql + down.sql", "a.sql", down.sql)

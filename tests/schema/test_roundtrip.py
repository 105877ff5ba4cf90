"""Every fixture pair, both ways, on PostgreSQL 18 and 15: the generated SQL turns one schema into the other, as pg_dump sees it."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from teamigrate.database import connect
from teamigrate.server.shadow import ShadowServer
from teamigrate.server.cluster import pg_bin_cluster
from tests.schema.pgdump_oracle import assert_same_schema, dump_schema, normalise
from tests.schema.reused_databases import DatabasePool, Slot, load_into, reset_session

FIXTURES = Path(__file__).parent / "fixtures"
PAIRS = sorted(path for path in FIXTURES.iterdir() if (path / "a.sql").is_file())
# A fixture whose slug starts with this holds one schema written two ways: its plan must be empty.
UNCHANGED_PREFIX = "same_"
SERVERS = ("pg18", "pg15")
# "load" needs no engine; the directions run right after it so that the loaded files are reused.
STEPS = ("load", "a_to_b", "b_to_a")
DIRECTIONS = {"a_to_b": ("a", "b"), "b_to_a": ("b", "a")}
# Loaded sides kept per worker: enough for the pair in hand and its neighbour.
_CACHED_SIDES = 4
# ALTER SEQUENCE … RESTART, or ALTER TABLE … ALTER COLUMN … RESTART for an identity.
_RESTART = re.compile(r"^\s*ALTER\s+(SEQUENCE|TABLE)\b.*\bRESTART\b", re.IGNORECASE | re.DOTALL)


def is_unchanged(pair: Path) -> bool:
    return pair.name.split("_", 1)[1].startswith(UNCHANGED_PREFIX)


def load_sql(url: str, sql: str) -> None:
    # One simple-protocol query: the file loads as a whole or not at all.
    with connect(url) as conn:
        conn.execute(sql.encode())


def apply_plan(session: psycopg.Connection[Any], plan: Any) -> None:
    """Run the plan statement by statement in autocommit, so that non-transactional statements work."""
    try:
        for number, statement in enumerate(plan.statements, start=1):
            try:
                session.execute(statement.sql.encode())
            except psycopg.Error as exc:
                raise AssertionError(
                    f"statement {number} of the plan failed: {exc}\n{statement.sql}\n\n--- whole plan ---\n{plan.to_sql()}"
                ) from None
    finally:
        reset_session(session)


def introspect_url(url: str) -> Any:
    from teamigrate.schema import introspect

    with connect(url) as conn:
        return introspect(conn)


class LoadedSide:
    """One fixture file loaded into a database of its own (new, or emptied), with its dump (and, once asked, its
    model) taken before any change."""

    def __init__(self, slot: Slot, sql_file: Path) -> None:
        self.slot = slot
        self.url = slot.url
        try:
            load_into(slot.session, sql_file.read_text())
        except psycopg.Error as exc:
            raise AssertionError(f"{sql_file.relative_to(FIXTURES)} does not load: {exc}") from None
        self.dump = normalise(dump_schema(self.url))
        self._schema: Any = None
        # Once a plan has been applied to it, the database no longer holds the file (its dump and model still do).
        self.changed = False

    @property
    def schema(self) -> Any:
        if self._schema is None:
            self._schema = self.introspect()
        return self._schema

    def introspect(self) -> Any:
        from teamigrate.schema import introspect

        return introspect(self.slot.session)


class LoadedSides:
    """Fixture files loaded on this worker, least recently used given back first (their databases emptied and
    loaded again by later sides)."""

    def __init__(self) -> None:
        self._sides: OrderedDict[tuple[str, str, str], LoadedSide] = OrderedDict()
        self._pool = DatabasePool("tmfix")

    def get(self, server: ShadowServer, pair: Path, side: str) -> LoadedSide:
        key = (server.admin_url, pair.name, side)
        if key in self._sides:
            self._sides.move_to_end(key)
            return self._sides[key]
        slot = self._pool.take(server)
        try:
            loaded = LoadedSide(slot, pair / f"{side}.sql")
        except AssertionError:
            self._pool.give_back(slot)
            raise
        self._sides[key] = loaded
        while len(self._sides) > _CACHED_SIDES:
            _, oldest = self._sides.popitem(last=False)
            self._pool.give_back(oldest.slot)
        return loaded

    def take(self, server: ShadowServer, pair: Path, side: str) -> LoadedSide:
        """A side whose database the caller will change; its dump and model, taken before, stay valid as a target."""
        key = (server.admin_url, pair.name, side)
        if key in self._sides and self._sides[key].changed:
            self._pool.give_back(self._sides.pop(key).slot)
        loaded = self.get(server, pair, side)
        loaded.schema  # noqa: B018 - introspected now, before the caller changes the database
        loaded.changed = True
        return loaded

    def drop_all(self) -> None:
        self._sides.clear()
        self._pool.drop_all()


@pytest.fixture(scope="session")
def pg15_server(pg15_bin: Path) -> ShadowServer:
    cluster = pg_bin_cluster(pg15_bin)
    cluster.ensure_running()
    return ShadowServer(cluster.url(), cluster)


@pytest.fixture(scope="module")
def loaded_sides() -> Iterator[LoadedSides]:
    sides = LoadedSides()
    yield sides
    sides.drop_all()


# One xdist group per pair and server (`pytest -n 2 --dist loadgroup`): the worker
# that loads a pair's files runs both of its directions with them.
CASES = [
    pytest.param(server, pair, step, id=f"{server}-{pair.name}-{step}", marks=pytest.mark.xdist_group(f"{server}-{pair.name}"))
    for server in SERVERS for pair in PAIRS for step in STEPS
]


@pytest.mark.parametrize(("server_name", "pair", "step"), CASES)
def test_fixture(server_name: str, pair: Path, step: str, request: pytest.FixtureRequest, loaded_sides: LoadedSides) -> None:
    server: ShadowServer = request.getfixturevalue("shadow_server" if server_name == "pg18" else "pg15_server")
    if step == "load":
        check_files_load(server, pair, loaded_sides)
    else:
        check_roundtrip(server, pair, *DIRECTIONS[step], loaded_sides)


def check_files_load(server: ShadowServer, pair: Path, sides: LoadedSides) -> None:
    a = sides.get(server, pair, "a")
    b = sides.get(server, pair, "b")
    if is_unchanged(pair):
        assert_same_schema(a.dump, b.dump, "a.sql", "b.sql")
    else:
        assert a.dump != b.dump, f"{pair.name}: a.sql and b.sql dump the same schema; the fixture tests nothing"


def check_roundtrip(server: ShadowServer, pair: Path, source_side: str, target_side: str, sides: LoadedSides) -> None:
    from teamigrate.schema import diff_schemas

    target = sides.get(server, pair, target_side)
    target_schema = target.schema
    source = sides.take(server, pair, source_side)
    plan = diff_schemas(source.schema, target_schema)
    if is_unchanged(pair):
        assert plan.is_empty, f"one schema written two ways, yet the plan is:\n{plan.to_sql()}"
    # pg_dump cannot see a sequence's position, so the rule that none is ever restarted is checked on the SQL.
    restarts = [s.sql for s in plan.statements if _RESTART.search(s.sql)]
    assert not restarts, f"the plan restarts a sequence: {restarts}"
    apply_plan(source.slot.session, plan)
    assert_same_schema(normalise(dump_schema(source.url)), target.dump, f"{source_side}.sql + plan", f"{target_side}.sql", plan.to_sql())
    residual = diff_schemas(source.introspect(), target_schema)
    assert residual.is_empty, f"a second diff after applying the plan is not empty:\n{residual.to_sql()}\n--- plan ---\n{plan.to_sql()}"

"""diff's proof copy begun as soon as its source is read (copy_ahead once_read): only when the two sides surely differ,
taken by the proof, else given up or cancelled with nothing left; and the reached schema built after the copy's session
has gone is the one the whole read gives."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from teamigrate.config import Config
from teamigrate.database import connect, url_database
from teamigrate.errors import TeamigrateError
from teamigrate.schema.introspect import introspect, read_catalog
from teamigrate.schema.plan import Plan, Statement
from teamigrate.workspace.proof import prove_plan
from teamigrate.workspace.schemas import Workspace
from tests.workspace.test_proof_copies import _loaded

BEFORE = """CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));
CREATE VIEW named AS SELECT id, name FROM accounts;
COMMENT ON TABLE orders IS 'orders';
"""


@pytest.fixture
def workspace(shadow_server) -> Workspace:  # type: ignore[no-untyped-def]
    return Workspace(Config(path=Path("teamigrate.yaml")), shadow_server)


def test_a_source_that_differs_is_copied_once_read_and_the_proof_takes_that_copy(shadow_server, make_database, workspace) -> None:  # type: ignore[no-untyped-def]
    before = _loaded(make_database, BEFORE)
    after = _loaded(make_database, BEFORE + "ALTER TABLE accounts ADD COLUMN note text;")
    with workspace.copy_ahead(before, once_read=True):
        ahead = workspace._copies[before]
        assert not ahead.begun  # nothing copied before the source is read
        source, target = workspace.introspect_all([before, after])
        assert ahead.begun  # one more column on one side: begun, its template's session gone
        made = url_database(ahead.made.result())
        plan = Plan([Statement("ALTER TABLE public.accounts ADD COLUMN note text")])
        prove_plan(workspace, before, plan, target, source=source, target_url=after)
        assert not workspace._copies and not shadow_server.database_exists(made)  # the proof's, dropped by it
    assert workspace.introspect(before) == source


def test_sides_with_the_same_tally_are_not_copied_ahead(shadow_server, make_database, workspace) -> None:  # type: ignore[no-untyped-def]
    """Equal object counts (here a comment's words only): the schemas may well be equal, so nothing is copied yet."""
    before = _loaded(make_database, BEFORE)
    after = _loaded(make_database, BEFORE.replace("'orders'", "'all orders'"))
    with workspace.copy_ahead(before, once_read=True):
        ahead = workspace._copies[before]
        source, target = workspace.introspect_all([before, after])
        assert source != target and not ahead.begun
    with pytest.raises(Exception) as given_up:
        ahead.made.result()
    assert type(given_up.value).__name__ == "_Unwanted"
    # As diff does once it sees the schemas differ: the copy waiting is begun then, beside the diff.
    with workspace.copy_ahead(before, once_read=True):
        source, target = workspace.introspect_all([before, after])
        with workspace.copy_ahead(before):
            made = url_database(workspace._copies[before].made.result(timeout=30))  # not waiting for anything more
            assert shadow_server.database_exists(made)
    assert not shadow_server.database_exists(made)


def test_a_copy_dropped_while_being_made_leaves_nothing(shadow_server, make_database, workspace) -> None:  # type: ignore[no-untyped-def]
    """Dropped right after it began (its CREATE DATABASE cancelled, given up, or made and dropped): no database left,
    and the maintenance connection it ran on still works."""
    before = _loaded(make_database, BEFORE)
    outcomes = []
    for _ in range(3):
        with workspace.copy_ahead(before, once_read=True):
            ahead = workspace._copies[before]
            ahead.begin()
        assert ahead.made.done()
        error = ahead.made.exception()
        outcomes.append(type(error).__name__ if error is not None else "made")
        if error is None:
            assert not shadow_server.database_exists(url_database(ahead.made.result()))
    # Cancelled: its CREATE DATABASE (ServerError) or a query before it (QueryCanceled).
    assert set(outcomes) <= {"made", "_Unwanted", "ServerError", "QueryCanceled"}, outcomes
    assert shadow_server.admin().execute("SELECT 1").fetchone() == (1,)


def test_the_rows_read_before_the_session_closes_build_the_whole_reads_schema(make_database) -> None:  # type: ignore[no-untyped-def]
    """Read by one session, or by two in one snapshot (the second imports the first's): the schema one read gives;
    in a caller's open transaction, by that one alone (its uncommitted change read too)."""
    url = _loaded(make_database, BEFORE)
    with connect(url) as conn, connect(url) as beside:
        whole = introspect(conn)
        rows, in_two = read_catalog(conn), read_catalog(conn, beside)
        with conn.transaction(force_rollback=True):
            conn.execute("ALTER TABLE accounts ADD COLUMN late text")
            uncommitted = read_catalog(conn, beside).schema()
    assert rows.schema() == whole == in_two.schema() and ("view", "public", "named") in whole.views
    assert [column.name for column in uncommitted.tables[("table", "public", "accounts")].columns] == ["id", "name", "late"]


def test_a_plan_that_changes_what_it_does_not_name_still_fails_on_the_copy_made_ahead(make_database, workspace) -> None:  # type: ignore[no-untyped-def]
    """The type change reaches the view too (dropped and made again without a column): the reached schema shows it."""
    before = _loaded(make_database, BEFORE)
    after = _loaded(make_database, BEFORE.replace("name text NOT NULL", "name varchar(80) NOT NULL"))
    with workspace.copy_ahead(before, once_read=True):
        source, target = workspace.introspect_all([before, after])
        plan = Plan([
            Statement("DROP VIEW public.named"),
            Statement("ALTER TABLE public.accounts ALTER COLUMN name TYPE varchar(80)"),
            Statement("CREATE VIEW public.named AS SELECT id FROM public.accounts"),
        ])
        with pytest.raises(TeamigrateError) as refused:
            prove_plan(workspace, before, plan, target, source=source, target_url=after)
    assert refused.value.code == "TM311" and "named" in refused.value.message, refused.value.message


def test_a_copy_is_dropped_though_a_session_stays_on_it(shadow_server) -> None:  # type: ignore[no-untyped-def]
    """drop_database waits a moment for sessions that are closing, then FORCE ends one that stays."""
    with shadow_server.scratch() as url:
        staying = psycopg.connect(url, autocommit=True)
        psycopg.connect(url, autocommit=True).close()  # closing as the drop begins
        name = url_database(url)
    try:
        assert not shadow_server.database_exists(name)
        with pytest.raises(psycopg.OperationalError):
            staying.execute("SELECT 1")
    finally:
        staying.close()

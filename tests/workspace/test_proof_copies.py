"""The proof's copy of a live source: made by template in the memory tablespace, right after the command's own
introspection (or begun beside the diff), by pg_dump started ahead for one on another server; and a plan that changes
more than it should (CASCADE) is still caught on it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg
import pytest

from teamigrate.config import Config
from teamigrate.database import url_database
from teamigrate.errors import TeamigrateError
from teamigrate.schema.plan import Plan, Statement
from teamigrate.server.memory import TABLESPACE, memory_tablespace
from teamigrate.server.shadow import ShadowServer
from teamigrate.workspace.proof import prove_plan
from teamigrate.workspace.schemas import DUMP_PREFIX, Workspace, _pg_dump_schema

BEFORE = """CREATE TABLE accounts (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));
CREATE VIEW big_accounts AS SELECT id FROM accounts WHERE id > 100;
"""
AFTER = BEFORE + "ALTER TABLE accounts ADD COLUMN note text;\n"
# Run on the copy, this refuses unless the copy lives in the memory tablespace.
IN_MEMORY = Statement(
    "DO $$ BEGIN IF (SELECT t.spcname FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace"
    f" WHERE d.datname = current_database()) <> '{TABLESPACE}' THEN RAISE EXCEPTION 'copy not in memory'; END IF; END $$"
)


def _loaded(make_database, sql: str) -> str:  # type: ignore[no-untyped-def]
    url = make_database()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())
    return url


@pytest.fixture
def sides(shadow_server, make_database):  # type: ignore[no-untyped-def]
    if memory_tablespace(shadow_server) is None:
        pytest.skip("no tmpfs with room here")
    before, after = _loaded(make_database, BEFORE), _loaded(make_database, AFTER)
    workspace = Workspace(Config(path=Path("teamigrate.yaml")), shadow_server)
    return workspace, before, after


def test_the_copy_is_made_in_memory_by_template_right_after_the_introspection(shadow_server, sides) -> None:  # type: ignore[no-untyped-def]
    workspace, before, after = sides
    dumped = DUMP_PREFIX + hashlib.sha256(_pg_dump_schema(shadow_server, before).encode()).hexdigest()[:24]
    shadow_server.drop_database(dumped)
    source, target = workspace.introspect_all([before, after])  # sessions on `before` that have only just closed
    plan = Plan([IN_MEMORY, Statement("ALTER TABLE public.accounts ADD COLUMN note text")])
    prove_plan(workspace, before, plan, target, source=source, target_url=after)
    # a template copy, not a pg_dump load; the source untouched
    assert not shadow_server.database_exists(dumped)
    assert workspace.introspect(before) == source


def test_a_plan_that_drops_more_than_it_says_is_refused_on_the_copy(shadow_server, sides) -> None:  # type: ignore[no-untyped-def]
    """CASCADE takes the view and the other table's foreign key with the table: the reached schema must show it."""
    workspace, before, after = sides
    target = workspace.introspect(after)
    plan = Plan([
        IN_MEMORY,
        Statement("DROP TABLE public.accounts CASCADE"),
        Statement("CREATE TABLE public.accounts (id bigint PRIMARY KEY, note text)"),
    ])
    with pytest.raises(TeamigrateError) as refused:
        prove_plan(workspace, before, plan, target)
    assert refused.value.code == "TM311"
    assert "big_accounts" in refused.value.message and "orders_account_id_fkey" in refused.value.message, refused.value.message


def test_a_source_on_another_server_is_dumped_beside_the_introspection(shadow_server, make_database, pg15_bin) -> None:  # type: ignore[no-untyped-def]
    """The proof's copy of it is loaded from the pg_dump started with the command; one left unused is stopped."""
    import uuid

    from teamigrate.server.cluster import pg_bin_cluster

    cluster = pg_bin_cluster(pg15_bin)
    cluster.ensure_running()
    other = ShadowServer(cluster.url(), cluster)
    name = f"ahead_{uuid.uuid4().hex[:8]}"
    remote = other.create_database(name)
    try:
        with psycopg.connect(remote, autocommit=True) as conn:
            conn.execute(BEFORE.encode())
        local = make_database()
        workspace = Workspace(Config(path=Path("teamigrate.yaml")), shadow_server)
        with workspace.dumps_ahead([remote, local]):
            assert list(workspace._dumps) == [remote]  # the shadow's own database is copied by template
            workspace._dumps[remote].process.wait()
            with psycopg.connect(remote, autocommit=True) as conn:
                conn.execute("ALTER TABLE accounts ADD COLUMN late text")
            with workspace.copy_of(remote) as copy:
                columns = [column.name for column in workspace.introspect(copy).tables[("table", "public", "accounts")].columns]
        assert columns == ["id"]  # the dump taken when the block began
        with workspace.dumps_ahead([remote]):
            unused = workspace._dumps[remote].process
        assert unused.poll() is not None and not workspace._dumps
    finally:
        other.drop_database(name)


def test_a_copy_made_ahead_is_the_proofs_or_is_dropped(shadow_server, sides) -> None:  # type: ignore[no-untyped-def]
    workspace, before, _ = sides
    with workspace.copy_ahead(before):
        made = url_database(workspace._copies[before].made.result())
        assert shadow_server.database_exists(made)  # made before anyone asked
        with workspace.copy_of(before) as copy:
            assert url_database(copy) == made and not workspace._copies
    assert not shadow_server.database_exists(made)
    with workspace.copy_ahead(before):
        unused = url_database(workspace._copies[before].made.result())
    assert not shadow_server.database_exists(unused) and not workspace._copies  # not taken: dropped

"""The proof's copy of a live source: made by template in the memory tablespace, right after the command's own
introspection, and a plan that changes more than it should (CASCADE) is still caught on it."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from teamigrate.config import Config
from teamigrate.errors import TeamigrateError
from teamigrate.schema.plan import Plan, Statement
from teamigrate.server.memory import TABLESPACE, memory_tablespace
from teamigrate.server.shadow import SCRATCH_PREFIX, ShadowServer
from teamigrate.workspace.proof import prove_plan
from teamigrate.workspace.schemas import DUMP_PREFIX, Workspace

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


def _names(shadow_server, prefix: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {name for (name,) in shadow_server.admin().execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix,)).fetchall()}


@pytest.fixture
def sides(shadow_server, make_database):  # type: ignore[no-untyped-def]
    if memory_tablespace(shadow_server) is None:
        pytest.skip("no tmpfs with room here")
    before, after = _loaded(make_database, BEFORE), _loaded(make_database, AFTER)
    workspace = Workspace(Config(path=Path("teamigrate.yaml")), shadow_server)
    return workspace, before, after


def test_the_copy_is_made_in_memory_by_template_right_after_the_introspection(shadow_server, sides) -> None:  # type: ignore[no-untyped-def]
    workspace, before, after = sides
    dumps, scratches = _names(shadow_server, DUMP_PREFIX), _names(shadow_server, SCRATCH_PREFIX)
    source, target = workspace.introspect_all([before, after])  # sessions on `before` that have only just closed
    plan = Plan([IN_MEMORY, Statement("ALTER TABLE public.accounts ADD COLUMN note text")])
    prove_plan(workspace, before, plan, target, source=source, target_url=after)
    # a template copy, not a pg_dump load; dropped after; the source untouched
    assert _names(shadow_server, DUMP_PREFIX) == dumps and _names(shadow_server, SCRATCH_PREFIX) == scratches
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

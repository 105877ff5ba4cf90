"""Per-branch snapshots: `sync` keeps the data of the branch it leaves and brings it back; `teamigrate snapshots` lists and drops them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from teamigrate.config import parse_config
from teamigrate.errors import ConfigError, ServerError
from teamigrate.server.copies import DatabaseCopies
from teamigrate.planners.snapshots import Snapshot, evictions, parse_snapshot, snapshot_to_restore, state_chain
from tests.commands.conftest import Developer, Team, assert_refused
from tests.conftest import Project

INIT = "20261101000000_create_users"
NOTES = "20261102000000_add_notes"
MORE = "20261103000000_add_tags"


@pytest.fixture
def dev(team: Team) -> Iterator[Developer]:
    """main has users; the branch `notes` adds a table and a column that main does not have."""
    developer = team.developer("dev")
    developer.add_migration(INIT, "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);\n", "DROP TABLE users;\n")
    developer.git("checkout", "-q", "-b", "notes")
    developer.add_migration(
        NOTES,
        "CREATE TABLE notes (id bigint PRIMARY KEY, user_id bigint REFERENCES users, body text);\nALTER TABLE users ADD COLUMN nickname text;\n",
        "ALTER TABLE users DROP COLUMN nickname;\nDROP TABLE notes;\n",
    )
    developer.git("checkout", "-q", "main")
    yield developer
    # Snapshots are databases of their own on the session's server: leave none behind.
    developer.run("snapshots", "drop", "--all")


def snapshot_names(dev: Developer, *options: str) -> list[str]:
    return [line.split()[0] for line in dev.ok("snapshots", *options).stdout.splitlines() if line.strip().startswith("tmsnap_")]


def test_rows_survive_main_feature_main_feature(dev: Developer, fresh_replay) -> None:  # type: ignore[no-untyped-def]
    dev.ok("sync")
    dev.sql("INSERT INTO users VALUES (1, 'ada')")
    dev.git("checkout", "-q", "notes")
    dev.ok("sync")
    dev.sql("INSERT INTO users VALUES (2, 'bob', 'bobby')")
    dev.sql("UPDATE users SET nickname = 'countess' WHERE id = 1")
    dev.sql("INSERT INTO notes VALUES (10, 1, 'engine notes'), (11, 2, 'hello')")

    dev.git("checkout", "-q", "main")
    result = dev.ok("sync")
    assert f"snapshot  kept notes at {NOTES}" in result.stdout
    assert f"rolled back  {NOTES}" in result.stdout  # nothing of main's to restore yet: the down ran on the database
    assert dev.sql("SELECT to_regclass('notes') IS NULL") == [(True,)]
    dev.sql("INSERT INTO users VALUES (3, 'cy')")  # main's own data from here on

    dev.git("checkout", "-q", "notes")
    result = dev.ok("sync")
    assert f"snapshot  kept main at {INIT}" in result.stdout
    assert f"restored  notes's snapshot at {NOTES}" in result.stdout
    assert "applied" not in result.stdout.replace("migrations applied", "")
    assert dev.sql("SELECT id, name, nickname FROM users ORDER BY id") == [(1, "ada", "countess"), (2, "bob", "bobby")]
    assert dev.sql("SELECT id, body FROM notes ORDER BY id") == [(10, "engine notes"), (11, "hello")]
    assert dev.schema_dump() == fresh_replay(dev)
    dev.sql("INSERT INTO notes VALUES (12, 1, 'second visit')")

    dev.git("checkout", "-q", "main")
    result = dev.ok("sync")
    assert f"restored  main's snapshot at {INIT}" in result.stdout
    # bob came to main on the first switch, by the down path (users stays on main; only its column went).
    assert dev.sql("SELECT id, name FROM users ORDER BY id") == [(1, "ada"), (2, "bob"), (3, "cy")]
    assert dev.schema_dump() == fresh_replay(dev)

    # The branch moved on while away (a new commit): its newest snapshot is a prefix; the rest is applied.
    dev.git("checkout", "-q", "notes")
    dev.add_migration(MORE, "CREATE TABLE tags (note_id bigint REFERENCES notes, tag text);\n", "DROP TABLE tags;\n")
    result = dev.ok("sync")
    assert f"restored  notes's snapshot at {NOTES}" in result.stdout
    assert f"applied  {MORE}" in result.stdout
    assert dev.sql("SELECT id FROM notes ORDER BY id") == [(10,), (11,), (12,)]
    assert dev.sql("SELECT id, state FROM public.teamigrate_history WHERE state = 'applied' ORDER BY id") == [(INIT, "applied"), (NOTES, "applied"), (MORE, "applied")]
    assert dev.schema_dump() == fresh_replay(dev)
    assert "in step" in dev.ok("sync").stdout

    # Someone else holds the database: it cannot be copied, and sync says so before the down path.
    dev.git("checkout", "-q", "main")
    with psycopg.connect(dev.database_url, application_name="psql-in-another-tab", autocommit=True) as held:
        pid = held.info.backend_pid
        result = dev.ok("sync")
    database = urlsplit(dev.database_url).path.lstrip("/")
    assert f"no snapshot of {database}: other sessions are connected to it: psql-in-another-tab (pid {pid}" in result.stderr
    assert "rolling back with the stored down SQL instead (data in what it drops is lost)" in result.stderr
    assert f"rolled back  {MORE}" in result.stdout and f"rolled back  {NOTES}" in result.stdout
    assert "restored" not in result.stdout
    assert dev.sql("SELECT id, name FROM users ORDER BY id") == [(1, "ada"), (2, "bob")]  # notes's users, by the down path
    assert dev.schema_dump() == fresh_replay(dev)
    assert len(snapshot_names(dev)) == 2  # notes at NOTES (then restored) and main at INIT, untouched


def test_least_recently_used_snapshots_go_past_the_limit_and_snapshots_lists_and_drops(dev: Developer) -> None:
    (dev.root / "teamigrate.yaml").write_text((dev.root / "teamigrate.yaml").read_text() + "snapshots:\n  keep: 1\n")
    dev.git("checkout", "-q", "-b", "other", "main")
    dev.add_migration(MORE, "CREATE TABLE tags (tag text);\n", "DROP TABLE tags;\n")
    dev.git("checkout", "-q", "notes")
    dev.ok("sync")
    dev.git("checkout", "-q", "other")
    first = dev.ok("sync")
    assert "snapshot  kept notes" in first.stdout
    [kept] = snapshot_names(dev)
    listing = dev.ok("snapshots").stdout
    assert "notes" in listing and NOTES in listing and "MB" in listing
    dev.git("checkout", "-q", "notes")
    # Keeps `other`, restores `notes`: one over the limit. The one just kept goes last: notes's data lives on in the database.
    second = dev.ok("sync")
    assert f"restored  notes's snapshot at {NOTES}" in second.stdout
    assert f"dropped snapshot  notes at {NOTES}" in second.stdout
    [kept] = snapshot_names(dev)
    assert "other" in dev.ok("snapshots").stdout

    assert_refused(dev.run("snapshots", "drop", "tmsnap_nope"), "TM431")
    assert_refused(dev.run("snapshots", "drop"), "TM432")
    assert kept in dev.ok("snapshots", "drop", kept).stdout
    assert snapshot_names(dev) == []
    assert "nothing to drop" in dev.ok("snapshots", "drop", "--all").stdout

    # A database larger than max_size is not copied: sync says so and takes the down path.
    (dev.root / "teamigrate.yaml").write_text((dev.root / "teamigrate.yaml").read_text() + "  max_size: 1kB\n")
    dev.git("checkout", "-q", "other")
    third = dev.ok("sync")
    assert "more than snapshots.max_size (1.0 kB); rolling back with the stored down SQL instead" in third.stderr
    assert f"rolled back  {NOTES}" in third.stdout
    assert snapshot_names(dev) == []


def test_a_server_that_may_not_be_this_machine_gets_snapshots_only_with_force(project: Project) -> None:
    # A service may name any host, so teamigrate counts it as not this machine; this one is the session's server.
    params = conninfo_to_dict(project.database_url)
    service = project.root.parent / "pg_service.conf"
    service.write_text(f"[devdb]\nhost={params['host']}\ndbname={params['dbname']}\nuser={params['user']}\n")
    config = project.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace(project.database_url, "service=devdb"))
    dev = Developer(root=project.root, database_url=project.database_url, env={"PGSERVICEFILE": str(service)})
    for args in (("snapshots",), ("snapshots", "drop", "--all")):
        result = dev.run(*args)
        assert_refused(result, "TM430")
        assert "the service `devdb`" in result.stderr

    dev.add_migration(INIT, "CREATE TABLE users (id bigint PRIMARY KEY);\n", "DROP TABLE users;\n")
    dev.git("checkout", "-q", "-b", "notes")
    dev.add_migration(NOTES, "CREATE TABLE notes (body text);\n", "DROP TABLE notes;\n")
    dev.ok("sync")
    dev.git("checkout", "-q", "main")
    result = dev.ok("sync")
    assert "no snapshot kept: service=devdb connects to the service `devdb`, which may not be this machine (pass --force" in result.stderr
    assert f"rolled back  {NOTES}" in result.stdout
    dev.git("checkout", "-q", "notes")
    dev.ok("sync")
    dev.git("checkout", "-q", "main")
    result = dev.ok("sync", "--force")
    assert f"snapshot  kept notes at {NOTES}" in result.stdout
    assert len(snapshot_names(dev, "--force")) == 1
    assert "dropped snapshot" in dev.ok("snapshots", "drop", "--all", "--force").stdout


# --- the pure part ------------------------------------------------------------


def _snapshot(name: str, branch: str, state: str, used: float, size: int = 10) -> Snapshot:
    return Snapshot(name, branch, state, 1, "x", used, used, size)


def test_the_branch_s_longest_prefix_is_restored_only_when_it_gives_more() -> None:
    chain = state_chain([("1_a", "c1"), ("2_b", "c2"), ("3_c", "c3")])
    assert len(set(chain)) == 3 and state_chain([("1_a", "c1")]) == chain[:1]
    mine_2 = _snapshot("s2", "feat", chain[1], used=1)
    mine_1 = _snapshot("s1", "feat", chain[0], used=2)
    theirs_3 = _snapshot("s3", "main", chain[2], used=3)
    snapshots = [mine_1, mine_2, theirs_3]
    assert snapshot_to_restore(snapshots, "feat", chain, kept=1, rolls_back=False) == mine_2
    assert snapshot_to_restore(snapshots, "feat", chain, kept=2, rolls_back=False) is None
    assert snapshot_to_restore(snapshots, "feat", chain, kept=2, rolls_back=True) == mine_2
    assert snapshot_to_restore(snapshots, "feat", chain, kept=3, rolls_back=True) is None
    assert snapshot_to_restore(snapshots, None, chain, kept=0, rolls_back=True) is None  # detached HEAD: no branch's data


def test_evictions_least_recently_used_first_by_count_and_size() -> None:
    a, b, c = _snapshot("a", "x", "1", used=1, size=100), _snapshot("b", "y", "2", used=2, size=100), _snapshot("c", "z", "3", used=3, size=100)
    assert evictions([c, a, b], keep=2, max_bytes=None) == [a]
    assert evictions([c, a, b], keep=5, max_bytes=150) == [a, b]
    assert evictions([c, a, b], keep=5, max_bytes=150, protect="a") == [b, c]
    assert evictions([c, a, b], keep=0, max_bytes=None, protect="c") == [a, b]
    assert evictions([a], keep=5, max_bytes=50, protect="a") == []  # sync takes none over the limit: it may be the database itself
    assert parse_snapshot("a", a.comment(), 100) == a
    assert parse_snapshot("n", "a comment someone wrote", 1) is None


def test_snapshot_limits_are_read_and_validated_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "teamigrate.yaml"
    assert (parse_config("", path).snapshots.keep, parse_config("", path).snapshots.max_size) == (5, 2 * 1024**3)
    config = parse_config("snapshots:\n  keep: 0\n  max_size: 512MB\n", path)
    assert (config.snapshots.keep, config.snapshots.max_size) == (0, 512 * 1024**2)
    assert parse_config("snapshots:\n  max_size: null\n", path).snapshots.max_size is None
    for bad in ("  keep: -1\n", "  max_size: big\n", "  kept: 3\n"):
        with pytest.raises(ConfigError) as raised:
            parse_config(f"snapshots:\n{bad}", path)
        assert raised.value.code in ("TM103", "TM105")


def test_a_restore_swaps_by_renaming_and_one_that_fails_leaves_the_database_as_it_was(make_database) -> None:  # type: ignore[no-untyped-def]
    url = make_database()
    copies = DatabaseCopies(url)
    name = urlsplit(url).path.lstrip("/")
    snapshot, kept = f"tmsnap_t_{name}", f"tmsnap_k_{name}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (v text); INSERT INTO t VALUES ('then')")
        conn.execute(f'ALTER DATABASE {name} SET search_path = app, "My Schema", public')
        conn.execute(f"ALTER DATABASE {name} SET work_mem = '8MB'")
    try:
        copies.copy(snapshot, "{}")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO t VALUES ('now')")
        with pytest.raises(ServerError, match="tmsnap_no_such_snapshot"):
            copies.replace_with("tmsnap_no_such_snapshot", kept, "{}")
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("SELECT v FROM t ORDER BY v").fetchall() == [("now",), ("then",)]
        assert [row[0] for row in copies.listed("tmswap_")] == [] and copies.listed(kept) == []

        copies.replace_with(snapshot, kept, '{"k": 1}')
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("SELECT v FROM t ORDER BY v").fetchall() == [("then",)]
            # Settings belong to the database's OID, not its contents: the restored one carries them over.
            assert conn.execute("SHOW search_path").fetchone() == ('app, "My Schema", public',)
            assert conn.execute("SHOW work_mem").fetchone() == ("8MB",)
        [(_, comment, _)] = copies.listed(kept)
        assert comment == '{"k": 1}'
        assert [row[0] for row in copies.listed("tmswap_")] == []
    finally:
        for leftover in (snapshot, kept):
            copies.drop(leftover)
        copies.close()

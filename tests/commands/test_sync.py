"""`sync` across branch switches, the post-checkout hook, and the cases sync must refuse."""

from __future__ import annotations

import subprocess

from tests.commands.conftest import Developer, Team

INIT = "20261101000000_create_users"
A = "20261102000000_add_things"
B = "20261103000000_add_email"


def branches(team: Team) -> Developer:
    dev = team.developer("dev")
    dev.add_migration(INIT, "CREATE TABLE users (id bigint PRIMARY KEY);\n", "DROP TABLE users;\n")
    dev.git("checkout", "-q", "-b", "things")
    # The down.sql that sync uses lives only in the history table once the branch is switched.
    dev.add_migration(A, "CREATE TABLE things (id int);\nCREATE INDEX things_id ON things (id);\n", "DROP TABLE things;\n")
    dev.git("checkout", "-q", "main")
    dev.git("checkout", "-q", "-b", "email")
    dev.add_migration(B, "ALTER TABLE users ADD COLUMN email text;\n", "ALTER TABLE users DROP COLUMN email;\n")
    return dev


def test_switching_branches_back_and_forth(team: Team, fresh_replay) -> None:  # type: ignore[no-untyped-def]
    dev = branches(team)
    for round_ in range(2):
        dev.git("checkout", "-q", "things")
        result = dev.ok("sync")
        if round_ == 0:
            assert f"applied  {A}" in result.stdout
        else:
            # Back on a branch it left: its snapshot comes back instead of B's down and A's up (test_snapshots.py).
            assert f"snapshot  kept email at {B}" in result.stdout
            assert f"restored  things's snapshot at {A}" in result.stdout
            assert "rolled back" not in result.stdout
        assert not (dev.root / "migrations" / B).exists()
        assert dev.schema_dump() == fresh_replay(dev)
        assert dev.sql("SELECT id, state FROM public.teamigrate_history WHERE state = 'applied' ORDER BY id") == [(INIT, "applied"), (A, "applied")]

        dev.git("checkout", "-q", "email")
        result = dev.ok("sync")
        # A's folder is not in this checkout: its down.sql came from the history table.
        assert not (dev.root / "migrations" / A).exists()
        if round_ == 0:
            assert f"snapshot  kept things at {A}" in result.stdout
            assert f"rolled back  {A} (not on this branch" in result.stdout
            assert f"applied  {B}" in result.stdout
        else:
            assert f"restored  email's snapshot at {B}" in result.stdout
        assert dev.schema_dump() == fresh_replay(dev)
        assert dev.sql("SELECT count(*) FROM pg_class WHERE relname IN ('things', 'things_id')") == [(0,)]
        assert "in step" in dev.ok("sync").stdout


def test_sync_stops_with_reset_hint_when_a_migration_has_no_down(team: Team) -> None:
    dev = team.developer("dev")
    dev.add_migration(INIT, "CREATE TABLE users (id bigint PRIMARY KEY);\n", "DROP TABLE users;\n")
    dev.git("checkout", "-q", "-b", "nodown")
    dev.add_migration(A, "CREATE TABLE things (id int);\n")
    dev.ok("sync")
    dev.git("checkout", "-q", "main")
    before = dev.schema_dump()
    result = dev.run("sync")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"error[TM507]: sync would have to roll back {A}, whose history row stored no down SQL"
    assert lines[1].startswith("hint: run `teamigrate reset`")
    assert "Traceback" not in result.stderr
    # Nothing half-done, and no snapshot kept for a sync that refuses.
    assert dev.schema_dump() == before
    assert dev.history()[A][0] == "applied"
    assert "snapshot" not in result.stdout
    assert "no snapshots" in dev.ok("snapshots").stdout.lower()


def test_out_of_order_migration_that_commutes_is_applied_without_rollback(team: Team, fresh_replay) -> None:  # type: ignore[no-untyped-def]
    dev = team.developer("dev")
    dev.add_migration(INIT, "CREATE TABLE users (id bigint PRIMARY KEY);\n", "DROP TABLE users;\n")
    dev.add_migration(B, "CREATE TABLE late (id int);\n", "DROP TABLE late;\n")
    dev.ok("sync")
    started = dev.history()[B][2]
    # A teammate's migration lands with an earlier id than one already applied here.
    dev.add_migration(A, "CREATE TABLE early (id int);\n", "DROP TABLE early;\n")
    result = dev.ok("sync")
    [line] = result.stdout.strip().splitlines()
    assert line.startswith(f"applied  {A} (")
    assert dev.history()[B][2] == started
    assert dev.schema_dump() == fresh_replay(dev)


def test_out_of_order_migration_that_does_not_commute_reapplies_in_order(team: Team, fresh_replay) -> None:  # type: ignore[no-untyped-def]
    dev = team.developer("dev")
    dev.add_migration(INIT, "CREATE TABLE users (id bigint PRIMARY KEY);\n", "DROP TABLE users;\n")
    dev.add_migration(B, "CREATE TABLE snapshot AS SELECT * FROM users;\n", "DROP TABLE snapshot;\n")
    dev.ok("sync")
    # Applied now, after B, the column would be missing from B's snapshot.
    dev.add_migration(A, "ALTER TABLE users ADD COLUMN email text;\n", "ALTER TABLE users DROP COLUMN email;\n")
    result = dev.ok("sync")
    out = result.stdout
    assert out.index(f"rolled back  {B}") < out.index(f"applied  {A}") < out.index(f"applied  {B}")
    assert dev.schema_dump() == fresh_replay(dev)
    assert dev.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'snapshot' AND column_name = 'email'") == [(1,)]


def test_post_checkout_hook_reports_or_syncs(team: Team, fresh_replay) -> None:  # type: ignore[no-untyped-def]
    dev = branches(team)
    assert dev.ok("hooks", "install").returncode == 0
    dev.git("checkout", "-q", "things")
    dev.ok("sync")

    # Git passes a hook's output on to stderr.
    switch = subprocess.run(["git", "checkout", "-q", "email"], cwd=dev.root, capture_output=True, text=True)
    assert switch.returncode == 0, switch.stderr
    assert f"applied in your database but not on this branch: {A}" in switch.stderr
    assert f"pending on this branch: {B}" in switch.stderr
    assert "run `teamigrate sync`" in switch.stderr
    assert dev.history()[A][0] == "applied"  # only reported

    config = dev.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace("auto_sync: false", "auto_sync: true"))
    switch = subprocess.run(["git", "checkout", "-q", "things"], cwd=dev.root, capture_output=True, text=True)
    assert switch.returncode == 0, switch.stderr
    assert f"applied  {A}" not in switch.stderr  # A never left the database
    assert dev.schema_dump() == fresh_replay(dev)
    switch = subprocess.run(["git", "checkout", "-q", "email"], cwd=dev.root, capture_output=True, text=True)
    assert f"rolled back  {A}" in switch.stderr and f"applied  {B}" in switch.stderr
    assert dev.schema_dump() == fresh_replay(dev)

    # Checking out a file is not a branch switch: nothing runs.
    (dev.root / "migrations" / B / "down.sql").write_text("-- edited\n")
    restore = subprocess.run(["git", "checkout", "--", f"migrations/{B}/down.sql"], cwd=dev.root, capture_output=True, text=True)
    assert restore.returncode == 0 and restore.stdout == restore.stderr == ""


def test_sync_ends_with_a_drift_check_that_names_what_differs(team: Team) -> None:
    dev = team.developer("dev")
    dev.add_migration(INIT, "CREATE TABLE users (id bigint PRIMARY KEY);\n", "DROP TABLE users;\n")
    assert "applied  " + INIT in dev.ok("sync").stdout
    assert "in step" in dev.ok("sync").stdout
    dev.sql("ALTER TABLE users ADD COLUMN nickname text; CREATE TABLE notes (id int)")
    result = dev.run("sync")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-2].startswith("error[TM508]: the database differs from the replayed history: ")
    assert "table public.notes" in lines[-2] and "public.users" in lines[-2], lines
    assert lines[-1].startswith("hint: someone changed it outside migrations")


BETWEEN = "20261101120000_between"


def test_an_out_of_order_migration_that_commutes_is_applied_alone(team: Team, fresh_replay) -> None:  # type: ignore[no-untyped-def]
    dev = team.developer("dev")
    dev.add_migration(INIT, "CREATE TABLE users (id bigint PRIMARY KEY);\n", "DROP TABLE users;\n")
    dev.add_migration(A, "CREATE TABLE things (id int);\n", "DROP TABLE things;\n")
    dev.ok("sync")
    applied_a = dev.history()[A]
    # Merged in from another branch: it sorts before A, which this database has applied.
    dev.add_migration(BETWEEN, "CREATE TABLE tags (name text);\n", "DROP TABLE tags;\n")
    result = dev.ok("sync")
    assert f"applied  {BETWEEN}" in result.stdout
    assert "rolled back" not in result.stdout
    assert dev.history()[A] == applied_a  # not run again
    assert dev.schema_dump() == fresh_replay(dev)


def test_an_out_of_order_migration_that_gives_another_schema_is_applied_in_order(team: Team, fresh_replay) -> None:  # type: ignore[no-untyped-def]
    dev = team.developer("dev")
    dev.add_migration(INIT, "CREATE TABLE users (id bigint PRIMARY KEY);\n", "DROP TABLE users;\n")
    dev.add_migration(A, "CREATE OR REPLACE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 2';\n", "DROP FUNCTION answer();\n")
    dev.ok("sync")
    # Applied after A, it would leave answer() returning 1; the history in order returns 2.
    dev.add_migration(BETWEEN, "CREATE OR REPLACE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 1';\n", "DROP FUNCTION answer();\n")
    result = dev.ok("sync")
    assert "give another schema applied now (function public.answer()" in result.stderr, result.stderr
    assert f"rolled back  {A}" in result.stdout
    assert result.stdout.index(f"applied  {BETWEEN}") < result.stdout.index(f"applied  {A}")
    assert dev.sql("SELECT answer()") == [(2,)]
    assert dev.schema_dump() == fresh_replay(dev)


def test_switching_across_a_squash_undoes_nothing(team: Team, fresh_replay) -> None:  # type: ignore[no-untyped-def]
    """A database built from a squash, then a branch from before it (and back): same objects, other names; nothing runs."""
    dev = team.developer("dev")
    dev.add_migration(INIT, "CREATE TABLE users (id bigint PRIMARY KEY);\n", "DROP TABLE users;\n")
    dev.add_migration(A, "CREATE TABLE things (id int, owner bigint REFERENCES users);\n", "DROP TABLE things;\n")
    dev.add_migration(B, "ALTER TABLE users ADD COLUMN email text;\n", "ALTER TABLE users DROP COLUMN email;\n")
    dev.git("checkout", "-q", "-b", "squashed")
    dev.ok("squash", "--from", INIT, "--to", A, "--name", "start")
    squash = f"{A.split('_')[0]}_start"
    dev.git("add", "-A", "migrations")
    dev.git("commit", "-q", "--no-verify", "-m", "squash")
    dev.ok("sync")
    assert set(dev.history()) == {squash, B}  # built from the squash: no rows for the old migrations

    dev.git("checkout", "-q", "main")
    result = dev.ok("sync")
    assert f"unsquashed  {squash}" in result.stdout
    assert f"recorded  {INIT} as applied" in result.stdout and f"recorded  {A} as applied" in result.stdout
    assert "rolled back" not in result.stdout and "applied  " not in result.stdout.replace("as applied", "")
    assert dev.schema_dump() == fresh_replay(dev)
    assert "in step" in dev.ok("sync").stdout

    dev.git("checkout", "-q", "squashed")
    assert "in step" in dev.ok("sync").stdout  # the squash counts as applied through the old rows
    assert dev.schema_dump() == fresh_replay(dev)

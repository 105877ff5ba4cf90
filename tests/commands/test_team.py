"""Two developers, one remote: parallel migrations, `git merge` / `git rebase`, `teamigrate rebase`, `sync`."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.commands.conftest import Developer, Team

INIT = "20261101000000_create_users"
ALICE = "20261110000000_add_orders"
BOB = ["20261105000000_add_email", "20261106000000_add_email_index", "20261107000000_add_audit"]


def start(team: Team) -> tuple[Developer, Developer]:
    alice = team.developer("alice")
    alice.add_migration(INIT, "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);\n", "DROP TABLE users;\n")
    alice.git("push", "-q", "origin", "main")
    alice.ok("sync")
    bob = team.developer("bob")
    bob.ok("sync")
    # Alice's branch lands first: a migration with a later timestamp than Bob's.
    alice.git("checkout", "-q", "-b", "orders")
    alice.add_migration(ALICE, "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);\n", "DROP TABLE orders;\n")
    alice.ok("sync")
    alice.git("checkout", "-q", "main")
    alice.git("merge", "-q", "--no-edit", "orders")
    alice.git("push", "-q", "origin", "main")
    alice.ok("sync")
    return alice, bob


def bob_adds(bob: Developer, count: int) -> dict[str, object]:
    bob.git("checkout", "-q", "-b", "email")
    bodies = [
        ("ALTER TABLE users ADD COLUMN email text;\n", "ALTER TABLE users DROP COLUMN email;\n"),
        ("CREATE INDEX users_email ON users (email);\n", "DROP INDEX users_email;\n"),
        ("CREATE TABLE audit (at timestamptz NOT NULL DEFAULT now(), what text);\n", "DROP TABLE audit;\n"),
    ]
    for migration_id, (sql, down) in zip(BOB[:count], bodies):
        bob.add_migration(migration_id, sql, down)
    bob.ok("sync")
    history = bob.history()
    assert set(BOB[:count]) <= set(history)
    return {migration_id: history[migration_id] for migration_id in BOB[:count]}


def assert_renamed_rows_kept(bob: Developer, before: dict[str, object], count: int) -> list[str]:
    """Bob's rows moved to the new ids with the same checksum and start time: nothing ran twice."""
    history = bob.history()
    ids = bob.migration_ids()
    new_ids = [i for i in ids if i.split("_", 1)[1] in {b.split("_", 1)[1] for b in BOB[:count]}]
    assert len(new_ids) == count
    for old, new in zip(BOB[:count], new_ids):
        assert new > ALICE, f"{new} must sort after {ALICE}"
        assert old not in history
        assert history[new] == before[old]
    return new_ids


def assert_in_step(developer: Developer, fresh: list[str]) -> None:
    history = developer.history()
    assert sorted(i for i, (state, _, _) in history.items() if state == "applied") == developer.migration_ids()
    checksums = Counter(checksum for _, checksum, _ in history.values())
    assert max(checksums.values()) == 1, f"a migration was recorded twice: {history}"
    assert developer.schema_dump() == fresh


@pytest.mark.parametrize("count", [1, 3])
def test_merge_conflict_resolved_by_rebase_and_both_databases_synced(team: Team, fresh_replay, count: int) -> None:  # type: ignore[no-untyped-def]
    alice, bob = start(team)
    # Alice lets the post-merge hook sync her database after a pull.
    alice.ok("hooks", "install")
    before = bob_adds(bob, count)

    bob.git("fetch", "-q", "origin")
    merge = bob.try_git("merge", "origin/main")
    assert merge.returncode != 0
    assert "CONFLICT (content): Merge conflict in migrations/teamigrate.sum" in merge.stdout
    assert "<<<<<<<" in (bob.root / "migrations" / "teamigrate.sum").read_text()

    result = bob.ok("rebase")
    assert "git commit --no-edit" in result.stdout
    assert bob.git("diff", "--name-only", "--diff-filter=U") == ""
    bob.git("commit", "-q", "--no-edit", "--no-verify")
    new_ids = assert_renamed_rows_kept(bob, before, count)
    for old, new in zip(BOB, new_ids):
        assert f"renamed {old} -> {new}" in result.stdout
    assert bob.ok("hash").returncode == 0 and bob.git("status", "--porcelain", "migrations") == ""

    sync = bob.ok("sync")
    assert f"applied  {ALICE}" in sync.stdout
    assert "renamed" not in sync.stdout and not any(old in sync.stdout for old in BOB)
    bob.git("push", "-q", "origin", "email:main")

    pull = alice.try_git("pull", "--no-rebase", "origin", "main")
    assert pull.returncode == 0, pull.stderr
    for new_id in new_ids:
        assert f"applied  {new_id}" in pull.stderr  # by the post-merge hook

    fresh = fresh_replay(bob)
    assert fresh == fresh_replay(alice)
    assert_in_step(bob, fresh)
    assert_in_step(alice, fresh)
    assert "in step" in bob.ok("sync").stdout
    assert "in step" in alice.ok("sync").stdout


def test_git_rebase_with_three_migrations_on_the_rebased_side(team: Team, fresh_replay) -> None:  # type: ignore[no-untyped-def]
    alice, bob = start(team)
    before = bob_adds(bob, 3)

    bob.git("fetch", "-q", "origin")
    step = bob.try_git("rebase", "origin/main")
    stops = 0
    while step.returncode != 0:
        assert "migrations/teamigrate.sum" in step.stdout + step.stderr
        stops += 1
        assert stops <= 3
        result = bob.ok("rebase")
        assert "git rebase --continue" in result.stdout
        step = bob.try_git("rebase", "--continue")
    assert stops >= 1
    assert not (bob.root / ".git" / "rebase-merge").exists()

    new_ids = assert_renamed_rows_kept(bob, before, 3)
    assert new_ids == sorted(new_ids)
    assert bob.ok("hash").returncode == 0 and bob.git("status", "--porcelain", "migrations") == ""
    # History is linear: main's commits, then Bob's three.
    assert bob.git("merge-base", "--is-ancestor", "origin/main", "HEAD") == ""

    sync = bob.ok("sync")
    assert f"applied  {ALICE}" in sync.stdout
    bob.git("push", "-q", "origin", "email:main")
    alice.git("pull", "-q", "--ff-only", "origin", "main")
    alice_sync = alice.ok("sync")
    for new_id in new_ids:
        assert f"applied  {new_id}" in alice_sync.stdout

    fresh = fresh_replay(bob)
    assert_in_step(bob, fresh)
    assert_in_step(alice, fresh)
    assert "in step" in bob.ok("sync").stdout


def test_rebase_when_nothing_needs_moving_only_rewrites_a_conflicted_sum(team: Team, fresh_replay) -> None:  # type: ignore[no-untyped-def]
    alice, bob = start(team)
    bob.git("checkout", "-q", "-b", "late")
    late = "20261120000000_add_late"
    bob.add_migration(late, "CREATE TABLE late (id int);\n", "DROP TABLE late;\n")
    bob.git("fetch", "-q", "origin")
    assert bob.try_git("merge", "origin/main").returncode != 0
    result = bob.ok("rebase")
    assert "renamed" not in result.stdout
    assert bob.migration_ids() == [INIT, ALICE, late]
    bob.git("commit", "-q", "--no-edit", "--no-verify")
    bob.ok("sync")
    assert_in_step(bob, fresh_replay(bob))




def test_pull_rebase_with_the_hooks_installed_syncs_once_the_rebase_is_done(team: Team, fresh_replay) -> None:  # type: ignore[no-untyped-def]
    alice, bob = start(team)
    bob.ok("hooks", "install")
    before = bob_adds(bob, 1)

    pulled = bob.try_git("pull", "--rebase", "-q", "origin", "main")
    assert pulled.returncode != 0 and "migrations/teamigrate.sum" in pulled.stdout + pulled.stderr
    # The rebase checked out origin/main first; post-checkout stays quiet until Bob's commits are back.
    assert "pending on this branch" not in pulled.stderr and "applied  " not in pulled.stderr
    bob.ok("rebase")
    done = bob.try_git("rebase", "--continue")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"applied  {ALICE}" in done.stderr  # post-rewrite ran `sync`: git passes a hook's output to stderr

    assert_renamed_rows_kept(bob, before, 1)
    assert_in_step(bob, fresh_replay(bob))
    amended = bob.try_git("commit", "-q", "--amend", "--no-edit")
    assert amended.returncode == 0 and "sync" not in amended.stderr and "in step" not in amended.stderr


PRIORITY = "20261105000000_add_priority"
NICKNAME = "20261108000000_add_nickname"


def test_merging_a_feature_branch_into_main_moves_the_features_migrations(team: Team, fresh_replay) -> None:  # type: ignore[no-untyped-def]
    """On main, `git merge origin/feat-x` where main has a newer migration: the feature's migration moves, main's keeps its id."""
    alice, bob = start(team)
    ci = team.developer("ci")  # production: deploys main
    ci.ok("deploy")
    # Bob's feature branch, pushed for review: a migration older than the one main gets next.
    bob.git("checkout", "-q", "-b", "feat-x")
    bob.add_migration(PRIORITY, "ALTER TABLE users ADD COLUMN priority int NOT NULL DEFAULT 0;\n", "ALTER TABLE users DROP COLUMN priority;\n")
    bob.ok("sync")
    bob.git("push", "-q", "-u", "origin", "feat-x")
    before = bob.history()[PRIORITY]
    alice.add_migration(NICKNAME, "ALTER TABLE users ADD COLUMN nickname text;\n", "ALTER TABLE users DROP COLUMN nickname;\n")
    alice.ok("sync")
    alice.git("push", "-q", "origin", "main")
    ci.git("pull", "-q", "--ff-only")
    ci.ok("deploy")

    # Alice merges the feature into main, with the hooks: the merge commit runs `check --staged`.
    alice.ok("hooks", "install")
    alice.git("fetch", "-q", "origin")
    merge = alice.try_git("merge", "origin/feat-x")
    assert merge.returncode != 0 and "Merge conflict in migrations/teamigrate.sum" in merge.stdout
    result = alice.ok("rebase")
    [moved] = [i for i in alice.migration_ids() if i.endswith("_add_priority")]
    assert moved > NICKNAME
    assert f"renamed {PRIORITY} -> {moved}" in result.stdout
    assert NICKNAME in alice.migration_ids()  # main's migration keeps its id
    assert "the merge is ready" in result.stdout
    commit = alice.try_git("commit", "--no-edit")
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert "check passed" in commit.stderr
    assert alice.ok("check").returncode == 0
    assert "nothing to rebase" in alice.ok("rebase").stdout

    sync = alice.ok("sync")
    assert f"applied  {moved}" in sync.stdout
    alice.git("push", "-q", "origin", "main")
    ci.git("pull", "-q", "--ff-only")
    deployed = ci.ok("deploy")
    assert f"applied {moved}" in deployed.stdout and "out of order" not in deployed.stderr

    # Bob applied the feature's migration under its old id: sync recognises it and runs nothing twice.
    bob.git("checkout", "-q", "main")
    bob.git("pull", "-q", "--ff-only")
    bob_sync = bob.ok("sync")
    assert f"renamed  {PRIORITY} -> {moved}" in bob_sync.stdout
    assert bob.history()[moved] == before

    fresh = fresh_replay(alice)
    for developer in (alice, bob, ci):
        assert_in_step(developer, fresh)

"""`changes`: per-side schema changes since the merge base, computed by replay, and the conflicts between sides."""

from __future__ import annotations

import json

from tests.commands.conftest import Developer, Team

BASE = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint, body text);\n"


def _branches(team: Team, left: str, right: str) -> Developer:
    """main with a base migration; branch `left` and branch `right` each add one migration on top."""
    dev = team.developer("alice")
    dev.add_migration("20260101000000_base", BASE, "DROP TABLE posts; DROP TABLE users;\n")
    dev.git("checkout", "-q", "-b", "left")
    dev.add_migration("20260201000000_left", left)
    dev.git("checkout", "-q", "main")
    dev.git("checkout", "-q", "-b", "right")
    dev.add_migration("20260202000000_right", right)
    dev.git("checkout", "-q", "main")
    return dev


def _compare(dev: Developer) -> dict:  # type: ignore[type-arg]
    result = dev.run("changes", "--base", "left", "--head", "right", "--json")
    assert result.returncode == 0, result.stderr
    [comparison] = json.loads(result.stdout)
    return comparison  # type: ignore[no-any-return]


def test_both_sides_change_the_same_column(team: Team) -> None:
    dev = _branches(team,
                    "ALTER TABLE users ALTER COLUMN email TYPE varchar(200);\n",
                    "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n")
    comparison = _compare(dev)
    left_changes = comparison["base"]["migrations"][0]["changes"]
    assert comparison["base"]["migrations"][0]["id"] == "20260201000000_left"
    assert any(c["kind"] == "column" and "email" in c["name"] for c in left_changes)
    conflicts = comparison["conflicts"]
    assert [c["kind"] for c in conflicts] == ["both-changed"]
    assert "email" in conflicts[0]["object"]
    human = dev.run("changes", "--base", "left", "--head", "right")
    assert "both-changed" in human.stdout and "email" in human.stdout
    assert dev.run("changes", "--base", "left", "--head", "right", "--exit-code").returncode == 2


def test_different_tables_do_not_conflict_and_commute(team: Team) -> None:
    dev = _branches(team,
                    "ALTER TABLE users ADD COLUMN name text;\n",
                    "CREATE INDEX posts_user ON posts (user_id);\n")
    comparison = _compare(dev)
    assert comparison["conflicts"] == []
    assert comparison["same_in_either_order"] is True
    right = comparison["head"]["migrations"][0]["changes"]
    assert [(c["kind"], c["action"]) for c in right] == [("index", "add")]
    assert dev.run("changes", "--base", "left", "--head", "right", "--exit-code").returncode == 0


def test_drop_on_one_side_used_on_the_other(team: Team) -> None:
    dev = _branches(team,
                    "DROP TABLE posts;\n",
                    "ALTER TABLE posts ADD COLUMN title text;\n")
    comparison = _compare(dev)
    kinds = {c["kind"] for c in comparison["conflicts"]}
    assert "dropped-and-used" in kinds
    assert any("posts" in c["object"] for c in comparison["conflicts"])
    # In one order the ALTER runs after the DROP and fails: the order check says so.
    assert comparison["same_in_either_order"] is False


def test_all_branches_compares_every_pair(team: Team) -> None:
    dev = _branches(team,
                    "ALTER TABLE users ADD COLUMN name text;\n",
                    "ALTER TABLE users ADD COLUMN name text;\n")
    result = dev.run("changes", "--all-branches", "--json")
    assert result.returncode == 0, result.stderr
    pairs = {(c["base"]["ref"], c["head"]["ref"]) for c in json.loads(result.stdout)}
    assert {("main", "left"), ("main", "right"), ("left", "right")} <= pairs
    # The same change made on both branches is no conflict.
    [between] = [c for c in json.loads(result.stdout) if (c["base"]["ref"], c["head"]["ref"]) == ("left", "right")]
    assert between["conflicts"] == []


# --- a squash on one branch, and a pair that cannot be compared ----------------------

MOOD = "20260101000000_create_people"
NAME = "20260102000000_add_name"
PETS = "20260103000000_create_pets"


def _team_with_a_squash(team: Team) -> Developer:
    """main: people (with an enum type), name, pets. `squash`: the first two squashed. `feat`: a column on pets."""
    dev = team.developer("alice")
    dev.add_migration(MOOD, "CREATE TYPE mood AS ENUM ('happy', 'sad');\nCREATE TABLE people (id int PRIMARY KEY, mood mood);\n")
    dev.add_migration(NAME, "ALTER TABLE people ADD COLUMN name text;\n")
    dev.add_migration(PETS, "CREATE TABLE pets (id int PRIMARY KEY, owner int REFERENCES people);\n")
    dev.git("push", "-q", "origin", "main")
    dev.git("checkout", "-q", "-b", "squash")
    dev.ok("squash", "--from", MOOD, "--to", NAME, "--name", "people")
    dev.git("add", "-A", "migrations")
    dev.git("commit", "-q", "--no-verify", "-m", "squash")
    dev.git("checkout", "-q", "main")
    dev.git("checkout", "-q", "-b", "feat")
    dev.add_migration("20260201000000_pet_mood", "ALTER TABLE pets ADD COLUMN mood mood;\n")
    dev.git("checkout", "-q", "main")
    return dev


def test_changes_with_a_squash_on_one_branch(team: Team) -> None:
    dev = _team_with_a_squash(team)
    squash = "20260102000000_people"
    result = dev.run("changes", "--base", "main", "--head", "squash", "--json")
    assert result.returncode == 0, result.stderr
    [comparison] = json.loads(result.stdout)
    assert comparison["head"]["migrations"] == [{"id": squash, "changes": [], "replaces": [MOOD, NAME], "recorded_only": True}]
    human = dev.ok("changes", "--base", "main", "--head", "squash")
    assert f"{squash} (squash of 2 migrations already in the history: recorded, not run)" in human.stdout

    # Across the squash: the feature's column against the squashed history, in either order.
    across = dev.run("changes", "--base", "squash", "--head", "feat", "--json")
    assert across.returncode == 0, across.stderr
    [comparison] = json.loads(across.stdout)
    assert [c["name"] for m in comparison["head"]["migrations"] for c in m["changes"]] == ["public.pets.mood"]
    assert comparison["same_in_either_order"] is True and comparison["conflicts"] == []

    everything = dev.run("changes", "--all-branches", "--json")
    assert everything.returncode == 0, everything.stderr
    pairs = {(c["base"]["ref"], c["head"]["ref"]) for c in json.loads(everything.stdout)}
    assert pairs == {("main", "feat"), ("main", "squash"), ("feat", "squash")}


def test_a_pair_that_cannot_be_compared_is_named_and_the_others_are_reported(team: Team) -> None:
    dev = _team_with_a_squash(team)
    dev.git("checkout", "-q", "-b", "broken")
    dev.add_migration("20260301000000_broken", "ALTER TABLE nowhere ADD COLUMN x int;\n")
    dev.git("checkout", "-q", "main")

    result = dev.run("changes", "--all-branches")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error[")]
    # Every pair with `broken` replays its migration and fails; each is named once, with why.
    assert sorted(line.split(": ", 1)[1].split(" cannot")[0] for line in errors) == [
        "broken ↔ feat", "broken ↔ squash", "main ↔ broken"]
    assert all(line.startswith("error[TM211]: ") and "nowhere" in line for line in errors)
    # The other pairs are reported in full.
    for pair in ("main ↔ feat", "main ↔ squash", "feat ↔ squash"):
        assert pair in result.stdout
    assert "Traceback" not in result.stderr
    as_json = dev.run("changes", "--all-branches", "--json")
    assert as_json.returncode == 1
    assert len(json.loads(as_json.stdout)) == 3


# --- --all-branches with remote-tracking branches ----------------------------------


def test_all_branches_compares_with_origin_main_when_the_local_main_is_behind(team: Team) -> None:
    alice = team.developer("alice")
    alice.add_migration("20260101000000_base", BASE)
    alice.git("push", "-q", "origin", "main")
    bob = team.developer("bob")
    bob.git("checkout", "-q", "-b", "feat-x")
    bob.add_migration("20260201000000_email_length", "ALTER TABLE users ALTER COLUMN email TYPE varchar(200);\n")
    bob.git("push", "-q", "-u", "origin", "feat-x")
    bob.git("branch", "done", "main")  # fully merged: nothing of its own
    alice.add_migration("20260202000000_email_required", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n")
    alice.git("push", "-q", "origin", "main")
    bob.git("fetch", "-q", "origin")  # bob's local main is behind origin/main now

    result = bob.run("changes", "--all-branches", "--json")
    assert result.returncode == 0, result.stderr
    comparisons = json.loads(result.stdout)
    assert [(c["base"]["ref"], c["head"]["ref"]) for c in comparisons] == [("origin/main", "feat-x")]
    [comparison] = comparisons
    assert [m["id"] for m in comparison["base"]["migrations"]] == ["20260202000000_email_required"]
    assert [c["kind"] for c in comparison["conflicts"]] == ["both-changed"]

    # Bob commits more on feat-x without pushing: feat-x and origin/feat-x differ, and are still not compared with each other.
    bob.add_migration("20260203000000_posts_body", "ALTER TABLE posts ALTER COLUMN body SET NOT NULL;\n")
    pairs = [(c["base"]["ref"], c["head"]["ref"]) for c in json.loads(bob.ok("changes", "--all-branches", "--json").stdout)]
    assert pairs == [("origin/main", "feat-x"), ("origin/main", "origin/feat-x")]
    # The default --base follows the same rule.
    assert bob.ok("changes").stdout.startswith("origin/main ↔ HEAD")

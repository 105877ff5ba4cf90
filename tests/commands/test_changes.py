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

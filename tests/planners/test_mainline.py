"""What is already on main, how a squash counts, which branch pairs `changes` compares: pure, over plain values."""

from __future__ import annotations

from datetime import datetime

import pytest

from teamigrate.errors import MigrationError
from teamigrate.history.migrations import Migration
from teamigrate.planners.mainline import main_line, main_ref
from teamigrate.planners.pairs import Branch, branch_pairs
from teamigrate.planners.rebase import Rename, plan_rebase
from teamigrate.planners.squash import deploy_sequence

NOW = datetime(2026, 12, 1, 9, 0, 0)
INIT = "20261101000000_init"
A, B, C = "20261102000000_a", "20261103000000_b", "20261104000000_c"
SQUASH = "20261103000000_base"  # A and B squashed: B's timestamp, so it sorts where they were
PRIORITY = "20261105000000_add_priority"
NICKNAME = "20261110000000_add_nickname"


# --- main_ref ---------------------------------------------------------------


def test_main_ref_is_the_remote_tracking_branch_when_the_local_one_is_behind_or_missing() -> None:
    assert main_ref("main", "old", "new", local_holds_remote=False) == "origin/main"  # after `git fetch`
    assert main_ref("main", None, "new", local_holds_remote=False) == "origin/main"  # a CI pull-request checkout


def test_main_ref_is_the_local_branch_when_it_holds_the_remote_one_or_there_is_none() -> None:
    assert main_ref("main", "same", "same", local_holds_remote=False) == "main"
    assert main_ref("main", "merged", "old", local_holds_remote=True) == "main"  # a merge into main, not pushed yet
    assert main_ref("main", "here", None, local_holds_remote=False) == "main"
    assert main_ref("main", None, None, local_holds_remote=False) is None


def test_main_ref_prefers_the_remote_when_the_two_diverged() -> None:
    # `git pull` on a main with commits of one's own: the remote's migrations may be deployed; the local ones move.
    assert main_ref("trunk", "mine", "theirs", local_holds_remote=False, remote_name="upstream") == "upstream/trunk"


# --- main_line --------------------------------------------------------------


def test_new_migrations_are_those_not_on_main_and_misordered_sort_before_its_newest() -> None:
    line = main_line({INIT: (), NICKNAME: (), PRIORITY: ()}, [INIT, NICKNAME])
    assert line.on_main == {INIT, NICKNAME}
    assert line.new == (PRIORITY,)
    assert line.misordered == (PRIORITY,)


def test_standing_on_main_merging_a_feature_in_the_features_migration_is_the_new_one() -> None:
    # Main before the merge holds add_nickname; the merge brings add_priority: the same answer as on the feature branch.
    on_main = main_line({INIT: (), NICKNAME: (), PRIORITY: ()}, [INIT, NICKNAME])
    on_feature = main_line({INIT: (), PRIORITY: (), NICKNAME: ()}, [NICKNAME, INIT])
    assert on_main == on_feature


def test_a_squash_of_mains_migrations_is_not_new_and_sits_where_its_range_sat() -> None:
    later = "20261120000000_later"
    line = main_line({INIT: (), SQUASH: (A, B), C: ()}, [INIT, A, B, C, later])
    assert line.new == ()
    assert line.settled_squashes == (SQUASH,)
    assert line.on_main == {INIT, C, later}  # A and B are gone on purpose, not missing
    assert line.misordered == ()


def test_a_squash_of_this_branchs_own_migrations_is_new() -> None:
    mine = "20261125000000_mine"
    line = main_line({INIT: (), mine: ("20261121000000_x", "20261122000000_y")}, [INIT])
    assert line.new == (mine,)
    assert line.partial_squashes == ()


def test_a_squash_of_mains_and_this_branchs_migrations_is_partial() -> None:
    line = main_line({INIT: (), SQUASH: (A, B)}, [INIT, A, C])
    assert line.partial_squashes == (SQUASH,)
    assert line.new == (SQUASH,)


def test_a_new_migration_before_a_squash_of_all_of_main_is_misordered() -> None:
    line = main_line({SQUASH: (A, B), "20261102120000_early": ()}, [A, B])
    assert line.on_main == frozenset()
    assert line.newest_on_main == SQUASH
    assert line.misordered == ("20261102120000_early",)


# --- plan_rebase with the main line -----------------------------------------


def test_rebase_on_main_moves_the_merged_features_migration_after_mains() -> None:
    ids = [INIT, NICKNAME, PRIORITY]
    plan = plan_rebase(ids, main_line({i: () for i in ids}, [INIT, NICKNAME]), NOW)
    assert plan.renames == (Rename(PRIORITY, "20261201090000_add_priority"),)
    assert plan.result_ids == (INIT, NICKNAME, "20261201090000_add_priority")


def test_rebase_never_moves_a_squash_of_mains_migrations() -> None:
    later, mine = "20261120000000_later", "20261106000000_mine"
    history = {INIT: (), SQUASH: (A, B), C: (), later: (), mine: ()}
    plan = plan_rebase(history, main_line(history, [INIT, A, B, C, later]), NOW)
    assert plan.renames == (Rename(mine, "20261201090000_mine"),)
    assert plan.result_ids == (INIT, SQUASH, C, later, "20261201090000_mine")


def test_rebase_leaves_a_partial_squash_where_it_is() -> None:
    history = {INIT: (), SQUASH: (A, B), C: ()}
    plan = plan_rebase(history, main_line(history, [INIT, A, C]), NOW)
    assert plan.is_empty


def test_rebase_moves_migrations_after_mains_newest_even_when_it_is_not_merged_yet() -> None:
    # origin/main is ahead of what is being merged: check compares with it, so rebase does too.
    unmerged = "20261115000000_unmerged"
    ids = [INIT, PRIORITY]
    plan = plan_rebase(ids, main_line({i: () for i in ids}, [INIT, unmerged]), NOW)
    assert [r.old_id for r in plan.renames] == [PRIORITY]
    assert plan.result_ids == (INIT, "20261201090000_add_priority")


# --- deploy_sequence ----------------------------------------------------------


def _migration(migration_id: str, *replaces: str) -> Migration:
    header = f"-- teamigrate: replaces {' '.join(replaces)}\n" if replaces else ""
    return Migration(migration_id, header + f"SELECT '{migration_id}';\n")


def test_a_squash_after_all_it_replaces_is_recorded_not_run() -> None:
    history = [_migration(A), _migration(B), _migration(SQUASH, A, B), _migration(C)]
    assert [m.id for m in deploy_sequence(history)] == [A, B, C]


def test_a_squash_on_an_empty_history_runs() -> None:
    history = [_migration(SQUASH, A, B), _migration(C)]
    assert [m.id for m in deploy_sequence(history)] == [SQUASH, C]


def test_a_squash_after_part_of_its_range_is_refused_as_deploy_refuses_it() -> None:
    with pytest.raises(MigrationError) as caught:
        deploy_sequence([_migration(A), _migration(SQUASH, A, B)])
    assert caught.value.code == "TM541"
    assert SQUASH in caught.value.message and "only 1 of them" in caught.value.message


# --- branch_pairs -------------------------------------------------------------


def _local(name: str, commit: str, upstream: str | None = None) -> Branch:
    return Branch(name, commit, remote=False, upstream=upstream)


def _remote(name: str, commit: str) -> Branch:
    return Branch(name, commit, remote=True)


def test_pairs_use_the_chosen_main_and_leave_out_its_other_name() -> None:
    branches = [_local("main", "m1"), _remote("origin/main", "m2"), _local("feat-x", "x", "origin/feat-x"), _remote("origin/feat-x", "x")]
    pairs = branch_pairs(branches, "origin/main", left_out=["main"], merged=[])
    assert pairs == [("origin/main", "feat-x")]


def test_a_branch_and_its_tracking_branch_are_not_compared_with_each_other() -> None:
    branches = [_local("feat-x", "x2", "origin/feat-x"), _remote("origin/feat-x", "x1"), _local("feat-y", "y")]
    pairs = branch_pairs(branches, "main", left_out=[], merged=[])
    assert ("feat-x", "origin/feat-x") not in pairs and ("origin/feat-x", "feat-x") not in pairs
    assert pairs == [("main", "feat-x"), ("main", "feat-y"), ("main", "origin/feat-x"),
                     ("feat-x", "feat-y"), ("feat-y", "origin/feat-x")]


def test_a_branch_pushed_without_upstream_still_pairs_with_its_remote_namesake() -> None:
    branches = [_local("feat-x", "x2"), _remote("origin/feat-x", "x1")]
    assert branch_pairs(branches, "main", left_out=[], merged=[]) == [("main", "feat-x"), ("main", "origin/feat-x")]


def test_merged_branches_are_left_out() -> None:
    branches = [_local("done", "d"), _remote("origin/done", "d"), _local("feat", "f")]
    assert branch_pairs(branches, "main", left_out=[], merged=["done", "origin/done"]) == [("main", "feat")]

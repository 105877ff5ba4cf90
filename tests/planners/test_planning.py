"""plan_rebase and plan_sync over plain values: no git, no database."""

from __future__ import annotations

from datetime import datetime

from teamigrate.planners.mainline import main_line
from teamigrate.planners.rebase import RebasePlan, Rename, plan_rebase
from teamigrate.planners.sync import AppliedMigration, CheckedOutMigration, SyncPlan, plan_sync

NOW = datetime(2026, 12, 1, 9, 0, 0)
BASE = ["20261101000000_init"]


# --- plan_rebase ----------------------------------------------------------


def rebase(ours: list[str], main: list[str]) -> RebasePlan:
    """The history after merging main into a branch that holds `ours`; main's migrations keep their ids."""
    ids = {*ours, *main}
    return plan_rebase(ids, main_line({i: () for i in ids}, main), NOW)


def test_rebase_moves_our_migration_after_theirs() -> None:
    ours = [*BASE, "20261110000000_add_email"]
    theirs = [*BASE, "20261115000000_add_orders"]
    plan = rebase(ours, theirs)
    assert plan.renames == (Rename("20261110000000_add_email", "20261201090000_add_email"),)
    assert plan.result_ids == ("20261101000000_init", "20261115000000_add_orders", "20261201090000_add_email")


def test_rebase_keeps_relative_order_of_many_and_ids_strictly_increase() -> None:
    ours = [*BASE, "20261102000000_a", "20261103000000_b", "20261104000000_c"]
    theirs = [*BASE, "20261120000000_x"]
    plan = rebase(ours, theirs)
    assert [r.old_id for r in plan.renames] == ["20261102000000_a", "20261103000000_b", "20261104000000_c"]
    assert [r.new_id for r in plan.renames] == ["20261201090000_a", "20261201090001_b", "20261201090002_c"]
    assert list(plan.result_ids) == sorted(plan.result_ids)
    assert plan.result_ids[-3:] == ("20261201090000_a", "20261201090001_b", "20261201090002_c")


def test_rebase_with_a_clock_behind_theirs_still_moves_after_them() -> None:
    ours = [*BASE, "20261102000000_a", "20261103000000_b"]
    theirs = [*BASE, "20261230235959_x"]
    plan = rebase(ours, theirs)
    assert [r.new_id for r in plan.renames] == ["20261231000000_a", "20261231000001_b"]


def test_rebase_nothing_to_do_when_already_after_theirs() -> None:
    ours = [*BASE, "20261120000000_a"]
    theirs = [*BASE, "20261110000000_x"]
    plan = rebase(ours, theirs)
    assert plan.is_empty
    assert plan.result_ids == ("20261101000000_init", "20261110000000_x", "20261120000000_a")


def test_rebase_nothing_to_do_without_new_migrations_on_either_side() -> None:
    assert rebase(BASE, BASE).is_empty
    assert rebase(BASE, [*BASE, "20261110000000_x"]).is_empty


def test_rebase_keeps_ours_that_already_sort_after_the_renamed_ones() -> None:
    # a sorts before theirs and moves; b sorted after theirs, but a's new id
    # (now) is later still, so b moves too to stay after a.
    ours = [*BASE, "20261105000000_a", "20261125000000_b"]
    theirs = [*BASE, "20261110000000_x"]
    plan = rebase(ours, theirs)
    assert [r.old_id for r in plan.renames] == ["20261105000000_a", "20261125000000_b"]
    assert list(plan.result_ids) == ["20261101000000_init", "20261110000000_x", "20261201090000_a", "20261201090001_b"]


def test_rebase_does_not_count_migrations_from_the_merge_base_as_ours() -> None:
    base = [*BASE, "20261102000000_shared"]
    ours = [*base, "20261103000000_mine"]
    theirs = [*base, "20261110000000_theirs"]
    plan = rebase(ours, theirs)
    assert [r.old_id for r in plan.renames] == ["20261103000000_mine"]


# --- plan_sync ------------------------------------------------------------


def applied(*ids: str, down: bool = True) -> list[AppliedMigration]:
    return [AppliedMigration(i, f"sum-{i.split('_', 1)[1]}", f"-- undo {i}" if down else None) for i in ids]


def checked_out(*ids: str) -> list[CheckedOutMigration]:
    return [CheckedOutMigration(i, f"sum-{i.split('_', 1)[1]}") for i in ids]


def test_sync_nothing_to_do_when_in_step() -> None:
    ids = ("20261101000000_init", "20261102000000_a")
    plan = plan_sync(applied(*ids), checked_out(*ids))
    assert plan.is_empty
    assert plan.kept == ids


def test_sync_applies_pending_in_order() -> None:
    plan = plan_sync(applied("20261101000000_init"), checked_out("20261103000000_b", "20261101000000_init", "20261102000000_a"))
    assert plan.applies == ("20261102000000_a", "20261103000000_b")
    assert plan.out_of_order == ()
    assert plan.rollbacks == ()


def test_sync_recognises_a_rebased_migration_by_checksum() -> None:
    plan = plan_sync(
        applied("20261101000000_init", "20261105000000_add_email"),
        checked_out("20261101000000_init", "20261110000000_x", "20261201090000_add_email"),
    )
    assert plan.renames == (Rename("20261105000000_add_email", "20261201090000_add_email"),)
    assert plan.rollbacks == ()
    # x sorts before the renamed add_email, which stays applied.
    assert plan.applies == ("20261110000000_x",)
    assert plan.out_of_order == ("20261110000000_x",)


def test_sync_rename_prefers_the_same_name_when_sql_is_identical() -> None:
    rows = [AppliedMigration("20261105000000_b", "same", "-- undo")]
    files = [CheckedOutMigration("20261201000000_a", "same"), CheckedOutMigration("20261201000001_b", "same")]
    plan = plan_sync(rows, files)
    assert plan.renames == (Rename("20261105000000_b", "20261201000001_b"),)
    assert plan.applies == ("20261201000000_a",)


def test_sync_rolls_back_absent_newest_first() -> None:
    plan = plan_sync(
        applied("20261101000000_init", "20261102000000_a", "20261103000000_b"),
        checked_out("20261101000000_init"),
    )
    assert plan.rollbacks == ("20261103000000_b", "20261102000000_a")
    assert plan.irreversible == ()
    assert plan.applies == ()


def test_sync_names_absent_migrations_without_down() -> None:
    rows = [*applied("20261101000000_init"), *applied("20261102000000_a", down=False)]
    plan = plan_sync(rows, checked_out("20261101000000_init"))
    assert plan.rollbacks == ("20261102000000_a",)
    assert plan.irreversible == ("20261102000000_a",)
    assert not plan.is_empty


def test_sync_switch_branch_rolls_back_theirs_and_applies_ours() -> None:
    plan = plan_sync(
        applied("20261101000000_init", "20261102000000_feature_a"),
        checked_out("20261101000000_init", "20261103000000_feature_b"),
    )
    assert plan.rollbacks == ("20261102000000_feature_a",)
    assert plan.applies == ("20261103000000_feature_b",)
    # feature_a is rolled back first, so b is not out of order.
    assert plan.out_of_order == ()


def test_sync_reports_modified_applied_migrations() -> None:
    rows = [AppliedMigration("20261101000000_init", "old-sum", "-- undo")]
    plan = plan_sync(rows, [CheckedOutMigration("20261101000000_init", "new-sum")])
    assert plan.modified == ("20261101000000_init",)
    assert plan.is_empty


def test_sync_out_of_order_fallback_rolls_back_later_ones_and_reapplies_in_order() -> None:
    plan = plan_sync(
        applied("20261101000000_init", "20261110000000_c", "20261120000000_d"),
        checked_out("20261101000000_init", "20261105000000_b", "20261110000000_c", "20261120000000_d"),
    )
    assert plan.out_of_order == ("20261105000000_b",)
    assert plan.applies == ("20261105000000_b",)
    fallback = plan.reordered()
    assert fallback.rollbacks == ("20261120000000_d", "20261110000000_c")
    assert fallback.applies == ("20261105000000_b", "20261110000000_c", "20261120000000_d")
    assert fallback.out_of_order == ()
    assert fallback.kept == ("20261101000000_init",)
    assert fallback.irreversible == ()


def test_sync_out_of_order_fallback_names_later_ones_without_down() -> None:
    rows = [*applied("20261101000000_init"), *applied("20261110000000_c", down=False)]
    plan = plan_sync(rows, checked_out("20261101000000_init", "20261105000000_b", "20261110000000_c"))
    assert plan.irreversible == ()
    assert plan.reordered().irreversible == ("20261110000000_c",)


def test_sync_reordered_is_identity_without_out_of_order() -> None:
    plan = plan_sync(applied("20261101000000_init"), checked_out("20261101000000_init", "20261102000000_a"))
    assert plan.reordered() is plan
    assert SyncPlan().is_empty


def test_sync_to_a_branch_before_a_squash_closes_the_squash_and_undoes_nothing() -> None:
    # The database applied a, b and then recorded the squash of them; the checkout is from before the squash.
    rows = [*applied("20261101000000_a", "20261102000000_b"),
            AppliedMigration("20261102000000_squash", "sum-squash", "-- undo all", ("20261101000000_a", "20261102000000_b"))]
    plan = plan_sync(rows, checked_out("20261101000000_a", "20261102000000_b", "20261103000000_c"))
    assert plan.unsquashed == ("20261102000000_squash",)
    assert plan.rollbacks == () and plan.recorded == ()
    assert plan.applies == ("20261103000000_c",)
    assert not plan.is_empty


def test_sync_from_a_database_built_by_the_squash_records_the_old_migrations_without_running_them() -> None:
    rows = [AppliedMigration("20261102000000_squash", "sum-squash", "-- undo all", ("20261101000000_a", "20261102000000_b")),
            *applied("20261103000000_c")]
    plan = plan_sync(rows, checked_out("20261101000000_a", "20261102000000_b", "20261103000000_c"))
    assert plan.unsquashed == ("20261102000000_squash",)
    assert plan.recorded == ("20261101000000_a", "20261102000000_b")
    assert plan.applies == () and plan.rollbacks == () and plan.out_of_order == ()
    assert plan.kept == ("20261101000000_a", "20261102000000_b", "20261103000000_c")


def test_sync_rolls_back_a_squash_whose_migrations_this_branch_lacks() -> None:
    rows = [AppliedMigration("20261102000000_squash", "sum-squash", "-- undo all", ("20261101000000_a", "20261102000000_b"))]
    plan = plan_sync(rows, checked_out("20261101000000_a"))
    assert plan.unsquashed == ()
    assert plan.rollbacks == ("20261102000000_squash",)

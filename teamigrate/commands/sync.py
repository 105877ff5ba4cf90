"""`teamigrate sync`: bring the developer's database to exactly what the checked-out history describes."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from teamigrate import output
from teamigrate.commands.deploy import lock_retries
from teamigrate.commands.snapshots import before_switch, record_branch
from teamigrate.config import Config
from teamigrate.errors import TeamigrateError
from teamigrate.git import GitRepository
from teamigrate.planners.sync import AppliedMigration, CheckedOutMigration, SyncPlan, plan_sync
from teamigrate.history.apply import apply_migration_retrying, rollback_migration
from teamigrate.workspace.project import Target, checked_out_migrations, open_target
from teamigrate.history.migrations import Migration
from teamigrate.history.states import APPLIED, MISSING, MODIFIED, MigrationState, blocking_problem, migration_states
from teamigrate.history.table import now
from teamigrate.schema.diff import diff_schemas
from teamigrate.workspace.schemas import Workspace


def sync_database(config: Config, auto: bool = False, force: bool = False) -> int:
    repository = GitRepository.find(config.root)
    if auto and repository is not None and repository.integration() is not None:
        return 0  # git checks out commits one by one during a rebase: sync once it is done
    migrations = checked_out_migrations(config)
    checkout = [(m.id, m.checksum) for m in migrations]
    with open_target(config) as target:
        if auto and not config.auto_sync:
            _report(plan_for(target, migrations))
            return 0
        url = target.url
        plan = plan_for(target, migrations)
        applied = applied_pairs(target)
    if plan.rollbacks or plan.applies:
        # The database is copied or swapped from its server's side: no session of ours may hold it meanwhile.
        before_switch(config, url, repository, applied, checkout, len(plan.kept), bool(plan.rollbacks), force, can_roll_back=not plan.irreversible)
    with open_target(config, url) as target:
        with target.table.locked():
            plan = plan_for(target, migrations)
            if plan.out_of_order and not _in_order_anyway(config, migrations, plan):
                plan = plan.reordered()
            _refuse_irreversible(plan)
            _execute(target, migrations, plan, repository.head_commit() if repository else None)
        _check_drift(config, target.url, migrations)
        record_branch(config, repository, target.url, applied_pairs(target))
    return 0


def applied_pairs(target: Target) -> list[tuple[str, str]]:
    """(id, checksum) of what the database holds, in order: the state a snapshot of it is named by."""
    return sorted((row.id, row.checksum) for row in target.table.rows() if row.state == "applied")


def plan_for(target: Target, migrations: Sequence[Migration]) -> SyncPlan:
    rows = target.table.rows()
    states = migration_states(migrations, rows)
    problem = blocking_problem(states, rows)
    if problem is not None:
        raise problem
    return plan_sync(applied_migrations(states), [CheckedOutMigration(m.id, m.checksum) for m in migrations])


def applied_migrations(states: Sequence[MigrationState]) -> list[AppliedMigration]:
    """What the database holds, each with the down SQL its history row stored (the file may be gone)."""
    applied = []
    for state in states:
        if state.state not in (APPLIED, MODIFIED, MISSING):
            continue
        down = state.row.down_sql if state.row is not None else state.migration.down_sql if state.migration else None
        checksum = state.row.checksum if state.row is not None else state.checksum
        replaces = state.row.replaces if state.row is not None else state.migration.replaces if state.migration else ()
        applied.append(AppliedMigration(state.id, checksum, down if down and down.strip() else None, replaces))
    return applied


def _in_order_anyway(config: Config, migrations: Sequence[Migration], plan: SyncPlan) -> bool:
    """Whether applying the out-of-order migrations now gives the schema that the history replayed in order gives."""
    by_id = {m.id: m for m in migrations}
    workspace = Workspace.for_config(config)
    # Both through the replay cache: they share every cached prefix up to the first migration applied out of order.
    # One after the other, not side by side: both run their tails in a transaction on that same template, and
    # two such transactions creating the same objects deadlock each other (TM211 "deadlock detected").
    in_order = workspace.of_history(migrations)
    as_applied = workspace.of_history([*(by_id[i] for i in plan.kept), *(by_id[i] for i in plan.applies)])
    differences = diff_schemas(in_order, as_applied).changed_objects
    if differences:
        output.note(f"{', '.join(plan.out_of_order)} sort before applied migrations and give another schema applied now ({', '.join(differences)}): re-applying in order")
        return False
    return True


def _refuse_irreversible(plan: SyncPlan) -> None:
    if plan.irreversible:
        raise TeamigrateError(
            "TM507",
            f"sync would have to roll back {', '.join(plan.irreversible)}, whose history row stored no down SQL",
            "run `teamigrate reset` to rebuild the local database from this checkout (its data is lost), or undo it by hand and `teamigrate resolve --rolled-back ID`",
        )


def _execute(target: Target, migrations: Sequence[Migration], plan: SyncPlan, git_commit: str | None) -> None:
    by_id = {m.id: m for m in migrations}
    rows = {row.id: row for row in target.table.rows()}
    for rename in plan.renames:
        if rename.new_id in rows:  # an old rolled-back row under the new id
            target.table.delete(rename.new_id)
        target.table.rename(rename.old_id, rename.new_id)
        rows[rename.new_id] = rows.pop(rename.old_id)
        output.line(f"renamed  {rename.old_id} -> {rename.new_id} (rebased; not run again)")
    for squash in plan.unsquashed:
        # The migrations it replaces are checked out: they describe the objects it made.
        if squash in rows:
            target.table.mark_rolled_back(squash)
        output.line(f"unsquashed  {squash} (this branch has the migrations it replaces; nothing undone)")
    for migration_id in plan.recorded:
        target.table.record_applied(by_id[migration_id], now(), git_commit)
        output.line(f"recorded  {migration_id} as applied (made by the squash; not run)")
    # No watcher connection for a sync with nothing to run (the post-checkout hook runs it often).
    with lock_retries(target, watch=bool(plan.rollbacks or plan.applies)) as locks:
        for migration_id in plan.rollbacks:
            row = rows.get(migration_id)
            down = row.down_sql if row is not None else by_id[migration_id].down_sql
            seconds = rollback_migration(target.conn, target.table, migration_id, down, locks)
            where = "not on this branch" if migration_id not in by_id else "re-applied below, in order"
            output.line(f"rolled back  {migration_id} ({where}; {seconds:.2f}s)")
        for migration_id in plan.applies:
            seconds = apply_migration_retrying(target.conn, target.table, by_id[migration_id], git_commit, locks)
            output.line(f"applied  {migration_id} ({seconds:.2f}s)")
    if plan.is_empty:
        output.line(f"in step: {output.count(len(plan.kept), 'migration')} applied, nothing to do")


def _report(plan: SyncPlan) -> None:
    """For the post-checkout hook: what `status` would call missing and pending, and the command that fixes it."""
    if plan.renames:
        output.line(f"teamigrate: {len(plan.renames)} rebased migrations are applied under their old ids")
    if plan.rollbacks:
        output.line(f"teamigrate: applied in your database but not on this branch: {', '.join(sorted(plan.rollbacks))}")
    if plan.unsquashed:
        output.line(f"teamigrate: squashes applied in your database stand for migrations of this branch: {', '.join(plan.unsquashed)}")
    if plan.applies:
        output.line(f"teamigrate: pending on this branch: {', '.join(plan.applies)}")
    if not plan.is_empty:
        output.line("teamigrate: run `teamigrate sync` to bring your database along (or set auto_sync: true)")


def _check_drift(config: Config, database_url: str, migrations: Sequence[Migration]) -> None:
    workspace = Workspace.for_config(config, user_database_url=database_url)
    # The replayed history's schema from the schema store or the replay cache (no database made for it),
    # read while the developer's database is.
    with ThreadPoolExecutor(max_workers=1) as pool:
        replayed = pool.submit(workspace.of_history, migrations)
        actual = workspace.introspect(database_url)
    differences = diff_schemas(replayed.result(), actual).changed_objects
    if differences:
        raise TeamigrateError(
            "TM508",
            f"the database differs from the replayed history: {', '.join(differences)}",
            "someone changed it outside migrations: turn the change into a migration (`teamigrate new`), or `teamigrate reset` to rebuild it",
        )

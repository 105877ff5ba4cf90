"""Drift: the developer's database against the migrations its history table says are applied."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from teamigrate import output
from teamigrate.config import Config
from teamigrate.database import mask_url
from teamigrate.workspace.drafting import draft_between, hazard_lines
from teamigrate.history.folders import replace_migrations
from teamigrate.commands.new import migration_from_draft, write_new_migration
from teamigrate.errors import MigrationError, TeamigrateError
from teamigrate.git import head_commit
from teamigrate.workspace.project import Target, migration_directory, open_target
from teamigrate.history.migrations import Migration, new_migration_id
from teamigrate.history.states import APPLIED, MISSING, blocking_problem, migration_states
from teamigrate.history.table import now
from teamigrate.schema.diff import diff_schemas
from teamigrate.schema.model import Schema
from teamigrate.schema.plan import Plan
from teamigrate.workspace.schemas import Workspace

CAPTURED_NAME = "captured_drift"


def applied_history(target: Target, migrations: Sequence[Migration]) -> tuple[Migration, ...]:
    """The checked-out migrations the database has applied, after refusing a history that cannot be replayed."""
    rows = target.table.rows()
    states = migration_states(migrations, rows)
    problem = blocking_problem(states, rows)
    if problem is not None:
        raise problem
    missing = [s.id for s in states if s.state == MISSING]
    if missing:
        raise MigrationError(
            "TM404",
            f"{mask_url(target.url)} has {len(missing)} migration(s) applied that this checkout lacks: {', '.join(missing[:5])}",
            "run `teamigrate sync` to roll them back (they are another branch's), or check out the branch that has them",
            migration_id=missing[0],
        )
    return tuple(s.migration for s in states if s.state == APPLIED and s.migration is not None)


def find_drift(workspace: Workspace, history_url: str, database_url: str) -> tuple[Plan, Schema]:
    """What turns the replayed applied history (at `history_url`) into the database (empty when nothing drifted), and
    the history's schema (which `dev` compares with the schema source next)."""
    history, database = workspace.introspect_all([history_url, database_url])  # read side by side
    return diff_schemas(history, database), history


def explain_drift(plan: Plan) -> None:
    output.note("your database differs from the migrations applied to it (SQL run by hand, or `teamigrate push`):")
    for line in drift_summary(plan):
        output.note(f"  {line}")


def drift_summary(plan: Plan) -> list[str]:
    """One line per table (or other object) that differs, naming what was added, dropped or altered in it."""
    grouped: dict[str, list[str]] = {}
    for change in plan.changes:
        owner = change.table or f"{change.kind} {change.name}"
        words = f"{change.action} {change.kind}" if change.table is None else f"{change.action} {change.kind} {change.name.rsplit('.', 1)[-1]}"
        detail = f" ({change.detail})" if change.detail else ""
        grouped.setdefault(owner, []).append(words + detail)
    return [f"{owner}: {', '.join(words)}" for owner, words in sorted(grouped.items())]


def drift_error(plan: Plan, database_url: str) -> TeamigrateError:
    tables = sorted({change.table or change.name for change in plan.changes})
    shown = ", ".join(tables[:6]) + (f" and {len(tables) - 6} more" if len(tables) > 6 else "")
    return TeamigrateError(
        "TM402",
        f"{mask_url(database_url)} has drifted from its applied migrations ({shown})",
        "keep the change as a migration with `teamigrate dev --capture-drift`, or discard it with `teamigrate reset`",
    )


def capture_drift(
    config: Config, workspace: Workspace, migrations: Sequence[Migration], history_url: str, database_url: str, moment: datetime,
    name: str | None = None,
) -> Migration:
    """Write the drift (from the replayed applied history at `history_url`) as a migration with its down.sql, recorded as applied."""
    migration_id = new_migration_id(name or CAPTURED_NAME, moment, [m.id for m in migrations])
    draft = draft_between(workspace, history_url, database_url)
    migration = migration_from_draft(migration_id, draft, "Captured by `teamigrate dev --capture-drift`: changes made to the database outside migrations.")
    write_new_migration(config, migrations, migration, hazard_lines(draft.up))
    try:
        with open_target(config, database_url) as target, target.table.locked():
            target.table.record_applied(migration, now(), head_commit(config.root))
    except BaseException:
        replace_migrations(migration_directory(config), migrations, [], removed=[migration.id])
        raise
    output.line(f"recorded {migration.id} as applied: your database already holds it")
    return migration

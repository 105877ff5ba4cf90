"""`teamigrate rollback`: undo applied migrations newest first, each with the down SQL recorded when it was applied."""

from __future__ import annotations

from teamigrate import output
from teamigrate.config import Config
from teamigrate.database import mask_url
from teamigrate.errors import TeamigrateError
from teamigrate.commands.deploy import lock_retries
from teamigrate.history.apply import rollback_migration
from teamigrate.workspace.project import checked_out_migrations, open_target
from teamigrate.planners.rollback import plan_rollback
from teamigrate.workspace.project import development_database_url


def rollback(config: Config, *, steps: int | None = None, to: str | None = None) -> int:
    if (steps is None) == (to is None) or (steps is not None and steps < 1):
        raise TeamigrateError("TM412", "rollback needs exactly one of --steps N (at least 1) or --to ID", "e.g. `teamigrate rollback --steps 1`, or `teamigrate rollback --to 20261126093000_init` (that one stays applied)")
    checked_out = {m.id: m for m in checked_out_migrations(config, verify_sum=False)}
    url = development_database_url(config)
    with open_target(config, url) as target, target.table.locked():
        plan = plan_rollback(target.table.rows(), checked_out, steps=steps, to=to)
        if not plan:
            output.line(f"nothing to roll back: {to} is the newest applied migration")
            return 0
        with lock_retries(target) as locks:
            for undo in plan:
                seconds = rollback_migration(target.conn, target.table, undo.migration_id, undo.down_sql, locks)
                for old in undo.replaces:
                    target.table.mark_rolled_back(old)
                output.line(f"rolled back {undo.migration_id} with {undo.source} ({seconds * 1000:.0f} ms)")
    output.line(f"rolled back {len(plan)} migration{'s' if len(plan) != 1 else ''} in {mask_url(url)}; `teamigrate dev` applies them again")
    return 0

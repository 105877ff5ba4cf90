"""`teamigrate resolve`: record a migration as applied or rolled back without running its SQL (baselines, hotfixes, retries)."""

from __future__ import annotations

from teamigrate import output
from teamigrate.config import Config
from teamigrate.errors import MigrationError
from teamigrate.git import head_commit
from teamigrate.workspace.project import checked_out_migrations, open_target
from teamigrate.history.table import now


def resolve(config: Config, applied: str | None = None, rolled_back: str | None = None, url: str | None = None) -> int:
    if (applied is None) == (rolled_back is None):
        raise MigrationError("TM219", "resolve needs exactly one of --applied ID or --rolled-back ID", "e.g. `teamigrate resolve --rolled-back 20261126093000_add_users`")
    migrations = {m.id: m for m in checked_out_migrations(config, verify_sum=False)}
    with open_target(config, url) as target, target.table.locked():
        if applied is not None:
            migration = migrations.get(applied)
            if migration is None:
                raise MigrationError("TM216", f"migration {applied} is not in this checkout", "check the id with `teamigrate status`; resolve --applied needs its folder", migration_id=applied)
            row = target.table.row(applied)
            if row is not None and row.state == "applied" and row.checksum == migration.checksum:
                raise MigrationError("TM217", f"migration {applied} is already applied", "nothing to do; `teamigrate status` shows every state", migration_id=applied)
            target.table.record_applied(migration, now(), head_commit(config.root))
            output.line(f"recorded {applied} as applied (no SQL was run)")
            return 0
        assert rolled_back is not None
        row = target.table.row(rolled_back)
        if row is None:
            raise MigrationError("TM216", f"migration {rolled_back} has no row in {config.history_table}", "check the id with `teamigrate status`", migration_id=rolled_back)
        if row.state not in ("failed", "started"):
            raise MigrationError("TM218", f"migration {rolled_back} is {row.state.replace('_', ' ')}, not failed", "only a failed migration can be marked rolled back; use `teamigrate rollback` to undo an applied one", migration_id=rolled_back)
        target.table.mark_rolled_back(rolled_back)
        output.line(f"recorded {rolled_back} as rolled back: the next deploy runs it again")
        return 0

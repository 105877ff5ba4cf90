"""Baselining: the first migration of an existing database, written from its schema and recorded as applied there;
or, with --from-prisma, the migrations Prisma Migrate applied to a database, recorded as applied there."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from teamigrate import output
from teamigrate.config import CONFIG_NAME, Config
from teamigrate.database import mask_url
from teamigrate.workspace.drafting import draft_between
from teamigrate.history.folders import add_migration, replace_migrations
from teamigrate.commands.new import migration_from_draft
from teamigrate.errors import MigrationError
from teamigrate.git import head_commit
from teamigrate.workspace.project import checked_out_migrations, migration_directory, open_target
from teamigrate.history.migrations import MIGRATION_FILE, Migration, new_migration_id
from teamigrate.history.prisma import find_prisma_table, plan_prisma_adoption, read_prisma_rows
from teamigrate.history.sumfile import write_atomically
from teamigrate.history.table import now as utc_now
from teamigrate.workspace.schemas import Workspace
from teamigrate.server.shadow import ShadowServer
from teamigrate.workspace.project import development_database_url

BASELINE_NAME = "baseline"


def baseline(config: Config, *, url: str | None = None, now: datetime | None = None) -> int:
    """`teamigrate baseline` on an existing project without migrations."""
    directory = migration_directory(config)
    if directory.exists() and directory.migrations():
        raise already_baselined(f"{directory.label} already holds migrations")
    target_url = url or development_database_url(config)
    migration = draft_baseline(config, target_url, now or datetime.now())
    if migration is None:
        output.line(f"{mask_url(target_url)} holds no schema objects: nothing to baseline")
        return 0
    add_migration(directory, (), migration)
    output.line(f"wrote {directory.label}/{migration.id}/{MIGRATION_FILE} from {mask_url(target_url)}")
    record_baseline(config, target_url, migration)
    return 0


def draft_baseline(config: Config, url: str, moment: datetime) -> Migration | None:
    """The migration that builds the database's schema from nothing; None for an empty database."""
    workspace = Workspace.for_config(config, user_database_url=url)
    with open_target(config, url) as target:
        if target.table.rows():
            raise already_baselined(f"{mask_url(url)} already has rows in {config.history_table}")
    with workspace.shadow.scratch() as empty_url:
        # No down.sql on purpose: rolling a baseline back would drop the whole database.
        draft = draft_between(workspace, empty_url, url, with_down=False)
    if draft.is_empty:
        return None
    header = f"Baseline: the schema of {mask_url(url)} when it was baselined; recorded as applied there. No down.sql on purpose."
    return migration_from_draft(new_migration_id(BASELINE_NAME, moment), draft, header)


def record_baseline(config: Config, url: str, migration: Migration) -> None:
    try:
        with open_target(config, url) as target, target.table.locked():
            target.table.record_applied(migration, utc_now(), head_commit(config.root))
    except BaseException:
        replace_migrations(migration_directory(config), (), [], removed=[migration.id])
        raise
    output.line(f"recorded {migration.id} as applied in {mask_url(url)}: deploy will not run it there")


def already_baselined(what: str) -> MigrationError:
    return MigrationError(
        "TM418",
        f"{what}; a baseline is the first migration",
        "write further changes with `teamigrate new NAME`; to start over, remove the migrations first; "
        "for a database Prisma Migrate managed, `teamigrate baseline --from-prisma` records what it applied",
    )


def baseline_from_prisma(config: Config, *, url: str | None = None) -> int:
    """`teamigrate baseline --from-prisma`: what `_prisma_migrations` says Prisma applied, recorded as applied in one transaction."""
    migrations = checked_out_migrations(config)
    target_url = url or development_database_url(config)
    with open_target(config, target_url) as target, target.table.locked():
        prisma_table = find_prisma_table(target.conn)
        rows = read_prisma_rows(target.conn, prisma_table)
        plan = plan_prisma_adoption(migrations, rows, {row.id for row in target.table.rows()})
        git_commit = head_commit(config.root)
        # All or nothing: a baseline cut short would leave deploy to run again what Prisma applied.
        with target.conn.transaction():
            for adopted in plan.record:
                target.table.record_applied(adopted.migration, adopted.row.started_at, git_commit, finished_at=adopted.row.finished_at)
    database = mask_url(target_url)
    rolled_back = f", {output.count(plan.rolled_back, 'rolled-back attempt')} ignored" if plan.rolled_back else ""
    output.line(f"read {output.count(len(rows), 'row')} of {prisma_table} in {database}{rolled_back}")
    if plan.record:
        output.line(f"recorded as applied: {output.count(len(plan.record), 'migration')} that Prisma Migrate applied (checksums match Prisma's)")
    else:
        output.line("nothing to record: Prisma Migrate applied no migration that teamigrate's history lacks")
    for adopted in plan.record:
        if adopted.renamed_from is not None:
            output.line(f"  {adopted.migration.id} is Prisma's {adopted.renamed_from}, renamed (same {MIGRATION_FILE})")
    if plan.kept:
        output.line(f"kept {output.count(len(plan.kept), 'migration')} as {config.history_table} already records them")
    if plan.pending:
        output.line(f"{len(plan.pending)} pending, with no finished row in {prisma_table}: `teamigrate deploy` applies them")
        for migration_id in plan.pending:
            output.line(f"  {migration_id}")
    output.line(f"next: `teamigrate status`; {prisma_table} is left as it is (drop it once nobody runs prisma migrate on this database)")
    return 0

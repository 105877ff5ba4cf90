"""Baselining: the first migration of an existing database, written from its schema and recorded as applied there."""

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
from teamigrate.workspace.project import migration_directory, open_target
from teamigrate.history.migrations import MIGRATION_FILE, Migration, new_migration_id
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
    return MigrationError("TM418", f"{what}; a baseline is the first migration", "write further changes with `teamigrate new NAME`; to start over, remove the migrations first")

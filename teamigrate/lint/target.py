"""What gets linted: one SQL file, and what teamigrate knows about the migration around it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from teamigrate.history.migrations import DOWN_FILE, MIGRATION_FILE, Migration


@dataclass(frozen=True)
class LintTarget:
    path: Path  # the SQL file
    sql: str
    transactional: bool  # False when the first line is `-- teamigrate: no-transaction`
    migration_folder: Path | None = None  # None for a loose .sql file
    has_down: bool = False


def runs_in_transaction(sql: str) -> bool:
    # history's model owns the directive syntax; a loose file reads it the same way.
    return Migration(id="", sql=sql).transactional


def target_for_migration(migrations_folder: Path, migration: Migration) -> LintTarget:
    folder = migrations_folder / migration.id
    return LintTarget(
        path=folder / MIGRATION_FILE,
        sql=migration.sql,
        transactional=migration.transactional,
        migration_folder=folder,
        has_down=migration.down_sql is not None,
    )


def target_for_file(path: Path, sql: str | None = None) -> LintTarget:
    """A target read from disk; a `migration.sql` brings its folder (for the down.sql rule)."""
    text = path.read_text(encoding="utf-8") if sql is None else sql
    folder = path.parent if path.name == MIGRATION_FILE else None
    return LintTarget(
        path=path,
        sql=text,
        transactional=runs_in_transaction(text),
        migration_folder=folder,
        has_down=folder is not None and (folder / DOWN_FILE).is_file(),
    )

"""Migration folders and teamigrate.sum written so that a crash leaves the old state or the new one, never half of each."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from teamigrate.history.migrations import DOWN_FILE, MIGRATION_FILE, Migration, MigrationDirectory
from teamigrate.history.sumfile import SumFile


def replace_migrations(directory: MigrationDirectory, history: Sequence[Migration], added: Sequence[Migration], removed: Sequence[str] = ()) -> SumFile:
    """Write `added`, remove the `removed` folders and rewrite teamigrate.sum for `history` (the result, in order).

    New folders are built under a hidden name (the folder reader skips those) and
    renamed into place; removed folders are moved aside first and deleted only
    once the sum is written, so a failure puts everything back.
    """
    directory.path.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".teamigrate-", dir=directory.path))
    placed: list[Path] = []
    set_aside: list[tuple[Path, Path]] = []
    try:
        for migration in added:
            folder = staging / migration.id
            folder.mkdir()
            (folder / MIGRATION_FILE).write_bytes(migration.sql_bytes)
            if migration.down_sql is not None:
                (folder / DOWN_FILE).write_text(migration.down_sql, encoding="utf-8")
        trash = staging / ".removed"
        trash.mkdir()
        for migration_id in removed:
            original = directory.folder(migration_id)
            aside = trash / migration_id
            original.rename(aside)
            set_aside.append((aside, original))
        for migration in added:
            final = directory.folder(migration.id)
            (staging / migration.id).rename(final)
            placed.append(final)
        computed = SumFile.compute(history)
        computed.write(directory.sum_path)
    except BaseException:
        for final in placed:
            shutil.rmtree(final, ignore_errors=True)
        for aside, original in set_aside:
            aside.rename(original)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return computed


def add_migration(directory: MigrationDirectory, history: Sequence[Migration], migration: Migration) -> SumFile:
    return replace_migrations(directory, [*history, migration], [migration])


def add_migrations(directory: MigrationDirectory, history: Sequence[Migration], migrations: Sequence[Migration]) -> SumFile:
    """Several new migrations after `history` at once (an online-safe split): all of them written, or none."""
    return replace_migrations(directory, [*history, *migrations], migrations)

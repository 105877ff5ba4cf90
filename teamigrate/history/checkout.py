"""The project's side of the history: its migrations folder as checked out, and its target database.

Public API: `migration_directory(config)`, `checked_out_migrations(config,
verify_sum=True)`, `rewrite_sum(config)` (`teamigrate hash`), `open_target(config)` (a context manager yielding a
`Target`: url, autocommit connection, HistoryTable).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from teamigrate import output
from teamigrate.config import Config
from teamigrate.database import connect
from teamigrate.history.apply import prepare_session
from teamigrate.history.migrations import Migration, MigrationDirectory
from teamigrate.history.sumfile import verify, write_sum_file
from teamigrate.history.table import HistoryTable


def migration_directory(config: Config) -> MigrationDirectory:
    try:
        label = str(config.migrations.relative_to(config.root))
    except ValueError:
        label = str(config.migrations)
    return MigrationDirectory(config.migrations, label, root=config.root)


def rewrite_sum(config: Config) -> int:
    """`teamigrate hash`: teamigrate.sum rewritten from the migrations as they are now."""
    directory = migration_directory(config)
    written = write_sum_file(directory)
    output.line(f"wrote {directory.label}/{directory.sum_path.name} ({output.count(len(written.lines), 'migration')})")
    return 0


def checked_out_migrations(config: Config, verify_sum: bool = True) -> tuple[Migration, ...]:
    directory = migration_directory(config)
    migrations = directory.migrations()
    if verify_sum:
        verify(migrations, directory.read_sum_text(), f"{directory.label}/{directory.sum_path.name}")
    return migrations


@dataclass(frozen=True)
class Target:
    url: str
    conn: psycopg.Connection
    table: HistoryTable


@contextmanager
def open_target(config: Config, url: str | None = None) -> Iterator[Target]:
    """The developer's or deployment's database: `url`, else database_url, else the project's embedded database."""
    if url is None:
        from teamigrate.shadow import development_database_url

        url = development_database_url(config)
    conn = connect(url)
    try:
        prepare_session(conn)
        yield Target(url, conn, HistoryTable(conn, config.history_table))
    finally:
        conn.close()

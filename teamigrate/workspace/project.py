"""The project as configured: its migrations folder as checked out, and its own database (database_url, or one on the embedded or pg_bin server).

Public API: `migration_directory(config)`, `checked_out_migrations(config,
verify_sum=True)`, `open_target(config)` (a context manager yielding a
`Target`: url, autocommit connection, HistoryTable), `development_database_url(config)`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from teamigrate.config import Config
from teamigrate.errors import ServerError
from teamigrate.history.locks import LockPolicy, lock_policy
from teamigrate.history.migrations import Migration, MigrationDirectory
from teamigrate.history.sumfile import verify

if TYPE_CHECKING:
    import psycopg

    from teamigrate.history.table import HistoryTable

# psycopg, the history table and the servers are imported where they are used: `deploy` reads the
# migrations from here and, on its way with libpq alone (commands/deploy_fast.py), never imports them.


def migration_directory(config: Config) -> MigrationDirectory:
    try:
        label = str(config.migrations.relative_to(config.root))
    except ValueError:
        label = str(config.migrations)
    return MigrationDirectory(config.migrations, label, root=config.root)


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
    locks: LockPolicy = LockPolicy()  # how its migrations wait for locks (teamigrate.yaml's `deploy:`)


@contextmanager
def open_target(config: Config, url: str | None = None) -> Iterator[Target]:
    """The developer's or deployment's database: `url`, else database_url, else the project's embedded database."""
    from teamigrate.database import connect
    from teamigrate.history.apply import prepare_session
    from teamigrate.history.table import HistoryTable

    if url is None:
        url = development_database_url(config)
    conn = connect(url)
    try:
        prepare_session(conn)
        yield Target(url, conn, HistoryTable(conn, config.history_table), lock_policy(config))
    finally:
        conn.close()


def development_database_name(config: Config) -> str:
    """The project's own database on the server teamigrate runs (the embedded one, or pg_bin's), when database_url is empty."""
    slug = re.sub(r"[^a-z0-9]+", "_", config.root.name.lower()).strip("_")[:30] or "project"
    digest = hashlib.sha256(str(config.root.resolve()).encode()).hexdigest()[:8]
    return f"dev_{slug}_{digest}"


def development_database_url(config: Config, create: bool = True) -> str:
    """database_url, or the project's database on the server teamigrate runs (pg_bin's, else the embedded one; created on first use)."""
    if config.database_url:
        return config.database_url
    from teamigrate.server.shadow import ShadowServer

    server = ShadowServer.development(config)
    name = development_database_name(config)
    if create and not server.database_exists(name):
        try:
            server.create_database(name)
        except ServerError:
            raise
        except Exception:
            # Another command created it in the meantime.
            if not server.database_exists(name):
                raise
    return server.database_url(name)

"""Prisma Migrate's history table, `_prisma_migrations`: read from a database, and which migrations it says are applied.

Public API: `PrismaRow`, `find_prisma_table(conn)`, `read_prisma_rows(conn,
table)`, `prisma_checksum_matches(sql, checksum)` and the pure
`plan_prisma_adoption(migrations, rows, recorded)`, which refuses (TM420,
TM421, TM422) before anything is written.

Prisma writes one row per attempt: `finished_at` set and `rolled_back_at` null
is an applied migration; `rolled_back_at` set is an attempt `prisma migrate
resolve --rolled-back` put aside (a later row may apply it again); neither set
is a failed migration, which Prisma itself refuses to deploy past.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql

from teamigrate.errors import MigrationError
from teamigrate.history.migrations import MIGRATION_FILE, Migration

PRISMA_TABLE = "_prisma_migrations"
_SHOWN = 5  # migrations named in one message; the rest are counted


@dataclass(frozen=True)
class PrismaRow:
    id: str
    migration_name: str  # the migration's folder name
    checksum: str  # sha256 hex of migration.sql as Prisma applied it
    started_at: datetime
    finished_at: datetime | None
    rolled_back_at: datetime | None

    @property
    def applied(self) -> bool:
        return self.finished_at is not None and self.rolled_back_at is None

    @property
    def failed(self) -> bool:
        return self.finished_at is None and self.rolled_back_at is None


@dataclass(frozen=True)
class AdoptedMigration:
    """A migration Prisma applied, to be recorded as applied with Prisma's times."""

    migration: Migration
    row: PrismaRow

    @property
    def renamed_from(self) -> str | None:
        """Prisma's name for it when the folder has been renamed since (matched by its migration.sql)."""
        return self.row.migration_name if self.row.migration_name != self.migration.id else None


@dataclass(frozen=True)
class PrismaAdoption:
    record: tuple[AdoptedMigration, ...]  # applied by Prisma, not yet in teamigrate's history
    kept: tuple[str, ...]  # applied by Prisma and already in teamigrate's history: left as it records them
    pending: tuple[str, ...]  # in the folder with no applied Prisma row: deploy runs them
    rolled_back: int  # rows Prisma marked rolled back, which count for nothing


def find_prisma_table(conn: psycopg.Connection) -> str:
    """The schema-qualified `_prisma_migrations` of the database: the one on the search path, else the only one (TM419)."""
    rows = conn.execute(
        "SELECT n.nspname, pg_table_is_visible(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relname = %s AND c.relkind IN ('r', 'p') ORDER BY 2 DESC, 1",
        (PRISMA_TABLE,),
    ).fetchall()
    if not rows:
        raise MigrationError(
            "TM419",
            f"the database has no {PRISMA_TABLE} table: Prisma Migrate did not manage it",
            "check --url (or DATABASE_URL); a database without Prisma's history needs `teamigrate status` and `teamigrate deploy`, or `teamigrate resolve --applied ID` for what you applied by hand",
        )
    visible = [schema for schema, is_visible in rows if is_visible]
    if not visible and len(rows) > 1:
        schemas = ", ".join(schema for schema, _ in rows)
        raise MigrationError(
            "TM419",
            f"the database has {PRISMA_TABLE} in several schemas ({schemas}) and none is on the search path",
            "choose one by its search path: add ?options=-csearch_path%3DSCHEMA to the URL (the schema Prisma's ?schema= named)",
        )
    return f"{(visible or [rows[0][0]])[0]}.{PRISMA_TABLE}"


def read_prisma_rows(conn: psycopg.Connection, table: str) -> tuple[PrismaRow, ...]:
    schema, name = table.split(".", 1)
    query = sql.SQL("SELECT id, migration_name, checksum, started_at, finished_at, rolled_back_at FROM {} ORDER BY started_at, migration_name").format(
        sql.Identifier(schema, name)
    )
    try:
        return tuple(PrismaRow(*row) for row in conn.execute(query))
    except psycopg.errors.UndefinedColumn as exc:
        raise MigrationError(
            "TM419",
            f"{table} is not Prisma Migrate's table: {(exc.diag.message_primary or str(exc)).strip()}",
            "check --url (or DATABASE_URL): it must be the database Prisma Migrate deployed to",
        ) from None


def prisma_checksum_matches(sql_bytes: bytes, checksum: str) -> bool:
    """Prisma's checksum is the sha256 hex of migration.sql; like Prisma, a file whose line endings git changed
    (CRLF on Windows, LF elsewhere) still matches."""
    variants = (sql_bytes, sql_bytes.replace(b"\r\n", b"\n"), sql_bytes.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return checksum.strip().lower() in {hashlib.sha256(variant).hexdigest() for variant in variants}


def plan_prisma_adoption(migrations: Sequence[Migration], rows: Sequence[PrismaRow], recorded: Collection[str]) -> PrismaAdoption:
    """Which checked-out migrations Prisma applied; `recorded` are the ids teamigrate's history already has a row for.

    Refused, before anything is written: a failed Prisma row (TM422), an applied
    migration this checkout does not have (TM421), or one whose migration.sql
    is not what Prisma applied (TM420).
    """
    by_id = {m.id: m for m in migrations}
    applied: dict[str, PrismaRow] = {}
    for row in rows:  # in start order: a later attempt at the same migration is the one that counts
        if row.applied:
            applied[row.migration_name] = row
    # teamigrate's row is the later word on a migration (e.g. `teamigrate resolve --applied` after a failure).
    failed = sorted({row.migration_name for row in rows if row.failed and row.migration_name not in recorded})
    if failed:
        raise MigrationError(
            "TM422",
            f"Prisma Migrate recorded {_names(failed)} as failed (started, never finished, not rolled back); nothing was recorded",
            f"resolve it in Prisma first (`npx prisma migrate resolve --rolled-back {failed[0]}` once you have undone what of it ran, "
            f"or `--applied {failed[0]}` if you finished it by hand), or, if you finished it by hand, `teamigrate resolve --applied {failed[0]}`; then run this again",
            migration_id=failed[0],
        )
    adopted: list[AdoptedMigration] = []
    absent: list[str] = []
    taken = set(recorded) | set(applied)  # a migration that could still be matched by its own name is no renamed one
    for name, row in sorted(applied.items()):
        if name in recorded:
            continue
        migration = by_id.get(name) or _renamed(row, migrations, taken)
        if migration is None:
            absent.append(name)
        else:
            adopted.append(AdoptedMigration(migration, row))
            taken.add(migration.id)
    if absent:
        raise MigrationError(
            "TM421",
            f"Prisma Migrate applied {_names(absent)}, and this checkout has no such migration folder; nothing was recorded",
            "check out the branch or commit that has it (git log --all -- '*/" + absent[0] + "/*' finds it), or restore its folder from the migrations Prisma deployed",
            migration_id=absent[0],
        )
    edited = sorted(a.migration.id for a in adopted if not prisma_checksum_matches(a.migration.sql_bytes, a.row.checksum))
    if edited:
        raise MigrationError(
            "TM420",
            f"{_names(edited)}: {MIGRATION_FILE} is not what Prisma Migrate applied (its sha256 differs from _prisma_migrations' checksum); nothing was recorded",
            f"restore the file as Prisma applied it (git log -p -- '*/{edited[0]}/{MIGRATION_FILE}' shows the edit), run this again, "
            "and put the change in a new migration (`teamigrate new --empty NAME`)",
            migration_id=edited[0],
        )
    adopted_ids = {a.migration.id for a in adopted}
    kept = tuple(sorted(name for name in applied if name in recorded))
    pending = tuple(m.id for m in migrations if m.id not in adopted_ids and m.id not in recorded)
    return PrismaAdoption(tuple(sorted(adopted, key=lambda a: a.migration.id)), kept, pending, sum(1 for row in rows if row.rolled_back_at is not None))


def _renamed(row: PrismaRow, migrations: Sequence[Migration], taken: Collection[str]) -> Migration | None:
    """The one checked-out migration with exactly the SQL Prisma applied under another name, and no Prisma row of its own.

    Prisma's own baselining guide names a folder `0_init`, which is no
    teamigrate id: renamed to `20200101000000_init`, it is still that migration.
    """
    same = [m for m in migrations if m.id not in taken and prisma_checksum_matches(m.sql_bytes, row.checksum)]
    return same[0] if len(same) == 1 else None


def _names(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_SHOWN])
    more = f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
    return f"{'migration' if len(ids) == 1 else f'{len(ids)} migrations:'} {shown}{more}"

"""The history table's rows and the SQL text that writes one, with nothing but the standard library.

Public API: `HistoryRow` (one row, frozen), `STATES`, `COLUMNS`, `now()`,
`history_lock_key(qualified_name)` and `create_lock_key(qualified_name)` (the
advisory locks every writer of that history takes), `qualified_ident(name)`, `create_table_sql(name, with_schema=…)`,
`prepared_row_sql(table_ident, name)` and `applied_row_sql(name, migration, git_commit)` (the row and its end)
and `text_literal(value)`.

history/table.py reads and writes the table through psycopg; the deploy that
talks to libpq directly (commands/deploy_fast.py) writes the same rows with
the same text, from here.
"""

from __future__ import annotations

import getpass
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from datetime import datetime, timezone

from teamigrate.database import quote_ident
from teamigrate.history.migrations import Migration

STATES = ("applied", "failed", "rolled_back", "started")
COLUMNS = (
    "id", "checksum", "state", "started_at", "finished_at", "duration_ms", "applied_by",
    "os_user", "git_commit", "error", "error_line", "down_sql", "replaces",
)
_WRITTEN = tuple(column for column in COLUMNS if column != "applied_by")  # applied_by is current_user
_COLUMN_LISTS = (", ".join(map(quote_ident, _WRITTEN)), ", ".join(f"EXCLUDED.{quote_ident(column)}" for column in _WRITTEN))


@dataclass(frozen=True)
class HistoryRow:
    id: str
    checksum: str
    state: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    applied_by: str
    os_user: str | None
    git_commit: str | None
    error: str | None
    error_line: int | None
    down_sql: str | None
    replaces: tuple[str, ...]


def now() -> datetime:
    return datetime.now(timezone.utc)


@cache
def os_user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def _lock_key(label: str) -> int:
    # A signed 64-bit key per history table, so two projects sharing a database
    # with different history tables do not wait for each other.
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "big", signed=True)


def history_lock_key(qualified_name: str) -> int:
    """The session lock that serialises everything that writes this history."""
    return _lock_key("teamigrate history " + qualified_name)


def create_lock_key(qualified_name: str) -> int:
    """The transaction lock that concurrent first uses take to create the table one after the other."""
    return _lock_key("teamigrate create " + qualified_name)


def split_name(qualified_name: str) -> tuple[str, str]:
    """(schema, table) of history_table; an unqualified name is in public."""
    schema, _, table = qualified_name.rpartition(".")
    return schema or "public", table


def qualified_ident(qualified_name: str) -> str:
    """`"schema"."table"`, quoted as psycopg's sql.Identifier quotes it."""
    return ".".join(map(quote_ident, split_name(qualified_name)))


def create_table_sql(qualified_name: str, *, with_schema: bool) -> str:
    """The statements that create the history table (history/sql/create_history_table.sql), and its schema first
    `with_schema` (only when it is missing: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the
    schema is there, which a role that may only use its own schema lacks)."""
    schema, table = map(quote_ident, split_name(qualified_name))
    script = (Path(__file__).parent / "sql" / "create_history_table.sql").read_text(encoding="utf-8")
    return (f"CREATE SCHEMA IF NOT EXISTS {schema};\n" if with_schema else "") + script.format(schema=schema, table=table)


def text_literal(value: str | None) -> str:
    """A text literal that no setting can change the meaning of: dollar-quoted with a tag the text does not hold."""
    if value is None:
        return "NULL"
    tag = "tm"
    while f"${tag}$" in value or value.endswith(f"${tag}"):
        tag += "_"
    return f"${tag}${value}${tag}$"


# What prepared_row_sql's row statement writes in each column: $n are its parameters (applied_row_sql's values).
_ROW_VALUES = {
    "id": "$1", "checksum": "$2", "state": "'applied'", "started_at": "clock_timestamp()", "finished_at": "NULL", "duration_ms": "NULL",
    "os_user": "$3", "git_commit": "$4", "error": "NULL", "error_line": "NULL", "down_sql": "$5", "replaces": "$6",
}


def prepared_row_sql(table_ident: str, name: str) -> tuple[str, str]:
    """The PREPARE of the two statements that record a migration as applied inside its own transaction, `{name}_row`
    (the row, run just before the migration's SQL) and `{name}_end` (its end, just after), and their DEALLOCATE.

    Both read the clock: in a batch every transaction's now() is when the batch arrived, not when that
    migration began. Prepared once per batch, they are planned once rather than once per migration
    (12 ms of the server's time for 300 migrations). A prepared statement outlives a rolled-back transaction.
    """
    columns, excluded = _COLUMN_LISTS
    values = ", ".join(_ROW_VALUES[column] for column in _WRITTEN)
    prepare = (
        f"PREPARE {name}_row(text, text, text, text, text, text[]) AS INSERT INTO {table_ident} ({columns}, applied_by) VALUES ({values}, current_user) "
        f"ON CONFLICT (id) DO UPDATE SET ({columns}, applied_by) = ({excluded}, current_user);\n"
        f"PREPARE {name}_end(text) AS UPDATE {table_ident} SET finished_at = clock_timestamp(), "
        f"duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint WHERE id = $1;\n"
    )
    return prepare, f"DEALLOCATE {name}_row;\nDEALLOCATE {name}_end;\n"


def applied_row_sql(name: str, migration: Migration, git_commit: str | None) -> tuple[str, str]:
    """The row and its end of `migration`: EXECUTEs of prepared_row_sql's statements `name`."""
    replaces = "ARRAY[" + ", ".join(map(text_literal, migration.replaces)) + "]::text[]"
    values = ", ".join([text_literal(migration.id), text_literal(migration.checksum), text_literal(os_user()), text_literal(git_commit), text_literal(migration.down_sql), replaces])
    return f"EXECUTE {name}_row({values})", f"EXECUTE {name}_end({text_literal(migration.id)})"

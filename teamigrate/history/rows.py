"""The history table's rows and the SQL text that writes one, with nothing but the standard library.

Public API: `HistoryRow` (one row, frozen), `STATES`, `COLUMNS`, `now()`,
`history_lock_key(qualified_name)` and `create_lock_key(qualified_name)` (the
advisory locks every writer of that history takes), `qualified_ident(name)`, `create_table_sql(name, with_schema=…)`,
`applied_row_sql(table_ident, migration, git_commit)` (the row and its end) and `text_literal(value)`.

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


def applied_row_sql(table_ident: str, migration: Migration, git_commit: str | None) -> tuple[str, str]:
    """The two statements that record `migration` as applied inside its own transaction, as SQL text: the row, sent
    just before the migration's SQL, and its end, just after. Both read the clock: in a batch every transaction's
    now() is when the batch arrived, not when that migration began."""
    columns, excluded = _COLUMN_LISTS
    replaces = "ARRAY[" + ", ".join(map(text_literal, migration.replaces)) + "]::text[]"
    values = ", ".join([
        text_literal(migration.id), text_literal(migration.checksum), "'applied'", "clock_timestamp()", "NULL", "NULL",
        text_literal(os_user()), text_literal(git_commit), "NULL", "NULL", text_literal(migration.down_sql), replaces,
    ])
    row = (
        f"INSERT INTO {table_ident} ({columns}, applied_by) VALUES ({values}, current_user) "
        f"ON CONFLICT (id) DO UPDATE SET ({columns}, applied_by) = ({excluded}, current_user)"
    )
    finished = (
        f"UPDATE {table_ident} SET finished_at = clock_timestamp(), "
        f"duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint WHERE id = {text_literal(migration.id)}"
    )
    return row, finished

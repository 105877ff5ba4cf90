"""The history table in the target database: what was applied, when, by whom, and how it ended.

Public API: `HistoryTable(conn, qualified_name)` with `exists()`, `ensure()`,
`rows()`, `row(id)`, `locked()` (the advisory lock every writer of the history
holds), `record_started`, `record_applied`, `record_failed`, `mark_rolled_back`,
`rename`, `delete`; `HistoryRow` (one row, frozen).

Every method raises a DatabaseError with its own code, never a bare psycopg
error, when the name is taken by something that is not teamigrate's history
(TM221) or the role may not read or write it (TM224).

There is one row per migration id; a retry (after `resolve --rolled-back` or a
rollback) updates it. States: 'applied', 'failed', 'rolled_back', and 'started'
(a no-transaction migration that has begun and not finished: a crash leaves it).
`conn` must be in autocommit mode; writers that must commit together with a
migration's SQL call the record_* methods inside `conn.transaction()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from teamigrate.errors import DatabaseError
from teamigrate.history.migrations import Migration
from teamigrate.history.rows import COLUMNS, STATES, HistoryRow, create_lock_key, create_table_sql, history_lock_key, now, os_user, split_name

__all__ = ["STATES", "HistoryRow", "HistoryTable", "now"]

_TABLE_KINDS = frozenset("rp")  # ordinary and partitioned tables
_OTHER_KINDS = {"v": "view", "m": "materialized view", "i": "index", "I": "index", "S": "sequence", "f": "foreign table", "c": "composite type", "t": "TOAST table"}
_PRIVILEGE_HINT = (
    "grant the role SELECT, INSERT, UPDATE and DELETE on {table} (and CREATE on schema {schema} for its first use), "
    "or set history_table in teamigrate.yaml to a table it may use"
)


class HistoryTable:
    def __init__(self, conn: psycopg.Connection, qualified_name: str) -> None:
        self.conn = conn
        self.qualified_name = qualified_name
        self.schema, self.table = split_name(qualified_name)
        self._ident = sql.Identifier(self.schema, self.table)
        self._ensured = False

    def _relkind(self) -> str | None:
        found = self.conn.execute(
            "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
            (self.schema, self.table),
        ).fetchone()
        return str(found[0]) if found is not None else None

    def exists(self) -> bool:
        return self._relkind() is not None

    @contextmanager
    def _permitted(self, action: str) -> Iterator[None]:
        """Turn PostgreSQL's "permission denied" on this table or its schema into TM224."""
        try:
            yield
        except psycopg.errors.InsufficientPrivilege as exc:
            primary = exc.diag.message_primary or str(exc).strip()
            raise DatabaseError(
                "TM224",
                f"the database role may not {action} the history table {self.qualified_name}: {primary}",
                _PRIVILEGE_HINT.format(table=self.qualified_name, schema=self.schema),
            ) from None

    def ensure(self) -> None:
        """Create the table on first use; concurrent first uses wait for each other instead of colliding."""
        if self._ensured:
            return
        with self._permitted("create or read"), self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (create_lock_key(self.qualified_name),))
            kind = self._relkind()
            if kind is None:
                self.conn.execute(create_table_sql(self.qualified_name, with_schema=not self._schema_exists()))
            else:
                self._check_shape(kind)
        self._ensured = True

    def _schema_exists(self) -> bool:
        return self.conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)).fetchone() is not None

    def _check_shape(self, kind: str) -> None:
        """TM221 unless the relation named history_table is a table with every column teamigrate writes."""
        if kind not in _TABLE_KINDS:
            what = _OTHER_KINDS.get(kind, f"relation of kind {kind!r}")
            raise DatabaseError(
                "TM221",
                f"{self.qualified_name} is a {what}, not a teamigrate history table",
                "set history_table in teamigrate.yaml to another name, e.g. public.teamigrate_history",
            )
        self._check_columns()

    def _check_columns(self) -> None:
        present = {
            name for (name,) in self.conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (self._regclass_text(),),
            )
        }
        missing = [column for column in COLUMNS if column not in present]
        if missing:
            raise DatabaseError(
                "TM221",
                f"{self.qualified_name} exists but is not a teamigrate history table (no column {', '.join(missing)})",
                "set history_table in teamigrate.yaml to another name, e.g. public.teamigrate_history",
            )

    def _regclass_text(self) -> str:
        return self._ident.as_string(self.conn)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the session advisory lock that serialises everything that writes this history.

        A waiting process blocks until the holder ends; a holder that dies loses
        the lock with its connection (the deploy connection sets
        client_connection_check_interval so that happens within a second).
        """
        key = history_lock_key(self.qualified_name)
        self.conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            if not self.conn.closed and not self.conn.broken:
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def rows(self) -> tuple[HistoryRow, ...]:
        """Every row in id order; none when the table does not exist yet (reading never creates it)."""
        with self._permitted("read"):
            if not self._ensured:
                kind = self._relkind()
                if kind is None:
                    return ()
                # Checked as `ensure` checks it, so that `status` on a table that is not
                # teamigrate's says so (TM221) as `deploy` does, instead of failing on a column.
                self._check_shape(kind)
            query = sql.SQL("SELECT {columns} FROM {table} ORDER BY id").format(
                columns=sql.SQL(", ").join(map(sql.Identifier, COLUMNS)), table=self._ident
            )
            with self.conn.cursor(row_factory=dict_row) as cursor:
                return tuple(HistoryRow(**{**row, "replaces": tuple(row["replaces"] or ())}) for row in cursor.execute(query))

    def row(self, migration_id: str) -> HistoryRow | None:
        return next((row for row in self.rows() if row.id == migration_id), None)

    def _upsert(
        self,
        migration: Migration,
        state: str,
        started_at: datetime,
        finished_at: datetime | None,
        git_commit: str | None,
        error: str | None = None,
        error_line: int | None = None,
    ) -> None:
        self.ensure()
        duration = int((finished_at - started_at).total_seconds() * 1000) if finished_at else None
        values = {
            "id": migration.id, "checksum": migration.checksum, "state": state, "started_at": started_at,
            "finished_at": finished_at, "duration_ms": duration, "os_user": os_user(), "git_commit": git_commit,
            "error": error, "error_line": error_line, "down_sql": migration.down_sql, "replaces": list(migration.replaces),
        }
        query = sql.SQL(
            "INSERT INTO {table} ({columns}, applied_by) VALUES ({values}, current_user) "
            "ON CONFLICT (id) DO UPDATE SET ({columns}, applied_by) = ({excluded}, current_user)"
        ).format(
            table=self._ident,
            columns=sql.SQL(", ").join(map(sql.Identifier, values)),
            values=sql.SQL(", ").join(map(sql.Placeholder, values)),
            excluded=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(k)) for k in values),
        )
        with self._permitted("write"):
            self.conn.execute(query, values)

    def ident_sql(self) -> str:
        """The table's quoted name, as SQL text."""
        return self._ident.as_string(self.conn)


    def durations(self, ids: list[str]) -> dict[str, int]:
        """Milliseconds each of `ids` took, as recorded."""
        query = sql.SQL("SELECT id, duration_ms FROM {table} WHERE id = ANY(%s) AND state = 'applied'").format(table=self._ident)
        return {row[0]: int(row[1] or 0) for row in self.conn.execute(query, (ids,)).fetchall()}

    def record_started(self, migration: Migration, started_at: datetime, git_commit: str | None) -> None:
        self._upsert(migration, "started", started_at, None, git_commit)

    def record_applied(self, migration: Migration, started_at: datetime, git_commit: str | None, finished_at: datetime | None = None) -> None:
        self._upsert(migration, "applied", started_at, finished_at or now(), git_commit)

    def record_failed(self, migration: Migration, started_at: datetime, git_commit: str | None, error: str, error_line: int | None) -> None:
        self._upsert(migration, "failed", started_at, now(), git_commit, error, error_line)

    def mark_rolled_back(self, migration_id: str) -> None:
        self._update("UPDATE {table} SET state = 'rolled_back', finished_at = %(now)s WHERE id = %(id)s", migration_id)

    def rename(self, old_id: str, new_id: str) -> None:
        """A migration moved by `rebase`: same SQL, new id; its row follows it."""
        self._update("UPDATE {table} SET id = %(new)s WHERE id = %(id)s", old_id, new=new_id)

    def delete(self, migration_id: str) -> None:
        self._update("DELETE FROM {table} WHERE id = %(id)s", migration_id)

    def _update(self, template: str, migration_id: str, **extra: object) -> None:
        self.ensure()
        with self._permitted("write"):
            self.conn.execute(sql.SQL(template).format(table=self._ident), {"id": migration_id, "now": now(), **extra})

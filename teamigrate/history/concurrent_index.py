"""The INVALID index a failed CREATE INDEX CONCURRENTLY leaves behind, found and dropped before the statement runs again.

CREATE INDEX CONCURRENTLY commits the index's catalog entry first and builds it
afterwards; when the build fails (a lock_timeout while it waits for older
transactions, a duplicate key, a cancel) the entry stays, marked INVALID, and
running the statement again fails with "already exists" (or, with IF NOT EXISTS,
silently keeps the broken index). Only an index that did not exist before the
statement ran, sits on the statement's table, is invalid, and carries the name
the statement gave (when it gave one) is dropped: never an index someone else made.
An INVALID index that already has the statement's name counts as the statement's own
(an earlier deploy's try left it, and could not drop it while the blocker lived).

Public API: `ConcurrentIndex.before(conn, text)` (None for any other statement), then,
before each try, `.drop_left_invalid(conn)`: the names it dropped; `.clean_up_after_failure(conn)`
and `.left_for_next_deploy(conn)`: what to add to the hint of a failure that is not tried again.
DROP INDEX CONCURRENTLY waits for the same transactions the build waited for, so it runs
under the same lock_timeout, as part of the next try rather than right after the failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from psycopg import sql

# CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] [name] ON [ONLY] table
_CIC = re.compile(
    r"""^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?
        (?:(?P<name>"(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s+)?ON\s+(?:ONLY\s+)?
        (?P<table>(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*))?)""",
    re.IGNORECASE | re.VERBOSE,
)

_INDEXES_SQL = "SELECT i.indexrelid::int8, c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s"


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()


@dataclass(frozen=True)
class ConcurrentIndex:
    table_oid: int
    name: str | None  # as PostgreSQL stores it; None when PostgreSQL picks the name
    existing: frozenset[int]  # oids of the table's indexes before the statement ran

    @classmethod
    def before(cls, conn: psycopg.Connection, text: str) -> ConcurrentIndex | None:
        match = _CIC.match(text)
        if match is None:
            return None
        # Resolved in the migration's own session, so its SET search_path counts as it does for the statement.
        row = conn.execute("SELECT to_regclass(%s)::oid::int8", (match.group("table"),)).fetchone()
        if row is None or row[0] is None:
            return None  # no such table: the statement fails before it creates anything
        name = _unquote(match.group("name")) if match.group("name") else None
        # An INVALID index with the very name this statement gives is this statement's, left by an earlier
        # deploy whose tries ran out while the drop could not get through: not counted as existing, so it is dropped.
        existing = frozenset(int(oid) for oid, index_name, valid in conn.execute(_INDEXES_SQL, (row[0],)).fetchall() if valid or name is None or index_name != name)
        return cls(int(row[0]), name, existing)

    def left_invalid(self, conn: psycopg.Connection) -> list[tuple[int, str]]:
        rows = conn.execute(_INDEXES_SQL, (self.table_oid,)).fetchall()
        return [(int(oid), name) for oid, name, valid in rows if not valid and int(oid) not in self.existing and (self.name is None or name == self.name)]

    def drop_left_invalid(self, conn: psycopg.Connection) -> list[str]:
        """Drop (concurrently) the INVALID index this statement left; the qualified names dropped."""
        dropped = []
        for oid, _ in self.left_invalid(conn):
            row = conn.execute("SELECT %s::oid::regclass::text", (oid,)).fetchone()
            if row is None:
                continue
            qualified = str(row[0])
            # The regclass text is already quoted as needed; IF EXISTS: another session may have dropped it meanwhile.
            conn.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(sql.SQL(qualified)))
            dropped.append(qualified)
        return dropped

    def clean_up_after_failure(self, conn: psycopg.Connection) -> str:
        """drop_left_invalid for a failure that is not tried again: what to add to its hint."""
        try:
            names = self.drop_left_invalid(conn)
            return f"; teamigrate dropped the INVALID index {', '.join(names)} it left" if names else ""
        except psycopg.Error:
            left = [name for _, name in self.left_invalid(conn)] if not conn.broken else []
            return f"; it left the INVALID index {', '.join(left)}: DROP INDEX CONCURRENTLY it before deploying again" if left else ""

    def left_for_next_deploy(self, conn: psycopg.Connection) -> str | None:
        """After the tries ran out on the migration's first statement: what to add to TM230's hint, or None when an
        INVALID index is left that the next deploy would not recognise (no name): then it is a failure, not pending."""
        left = self.left_invalid(conn)
        if not left:
            return ""
        if self.name is None:
            return None
        return f"; the INVALID index {left[0][1]} its CREATE INDEX CONCURRENTLY left is dropped by the next deploy before it tries again"

"""Several migrations to one round trip: which ones may go together, and the SQL text that runs them.

Public API: `batchable(migration)`, `code_only(sql)`, `next_batch(pending)`, `batch_sql(batch,
table_ident, git_commit, locks, server_version)`, `session_sql(server_version)`;
`BATCH_MIGRATIONS`, `BATCH_BYTES`.

A batch is one simple query: the PREPARE of its history statements, then
`BEGIN; <history row>; <migration>; RESET ALL; <its end>; COMMIT;` for each
migration, then their DEALLOCATE. PostgreSQL runs them in order and stops at the
first error, whose transaction it rolls back, leaving the ones before it
committed (history/apply.py and commands/deploy_fast.py send it; standard
library only, so that the second need not import psycopg).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from teamigrate.history.migrations import Migration
from teamigrate.history.rows import applied_row_sql, prepared_row_sql

if TYPE_CHECKING:
    from teamigrate.history.locks import LockPolicy

# At most this many migrations, or about this many bytes of SQL, go to the server in one round trip.
BATCH_MIGRATIONS = 64
BATCH_BYTES = 1 << 20

# Anything that may be a psql command, COPY, or transaction control; a file without any of
# these can be sent whole (sqlparse, which the statement-by-statement way needs, costs about
# 10 ms per 1,000 lines, and psycopg's import 0.1 s).
_NEEDS_STATEMENTS_IN_TEXT = re.compile(r"\\|\bCOPY\b", re.IGNORECASE)
_TRANSACTION_CONTROL = re.compile(r"(?:^|;)\s*(?:BEGIN|COMMIT|END|ROLLBACK|ABORT|START)\b", re.IGNORECASE | re.MULTILINE)
# A migration that deallocates prepared statements would take the batch's history statements with it.
_DEALLOCATE = re.compile(r"\bDEALLOCATE\b", re.IGNORECASE)
# Each batch's prepared statements have their own names (teamigrate_<n>_row, _end) in this process's sessions.
_BATCH_NAMES = itertools.count(1)


def batchable(migration: Migration) -> bool:
    """Transactional, and nothing in its text needs a statement-by-statement look.

    Transaction control is looked for in the code alone (code_only): a PL/pgSQL body's BEGIN is not one.
    Without a backslash anywhere, code_only reads strings, names, bodies and comments as PostgreSQL's
    lexer does; a backslash (a psql command, or an escape that could hide a quote) sends it the slow way.
    """
    sql = migration.sql
    if not migration.transactional or _NEEDS_STATEMENTS_IN_TEXT.search(sql):
        return False
    code = code_only(sql)
    return not _TRANSACTION_CONTROL.search(code) and not _DEALLOCATE.search(code)


def next_batch(pending: Sequence[Migration]) -> list[Migration]:
    """The batchable migrations at the head of `pending`, up to the limits; empty when the first is not batchable."""
    batch: list[Migration] = []
    size = 0
    for migration in pending:
        if not batchable(migration) or len(batch) == BATCH_MIGRATIONS or (batch and size + len(migration.sql) > BATCH_BYTES):
            break
        batch.append(migration)
        size += len(migration.sql)
    return batch


def session_sql(server_version: int) -> str:
    """The login session's settings again, as apply.prepare_session sets them after each migration.

    client_connection_check_interval: a client killed mid-statement (SIGKILL, lost CI runner) otherwise
    leaves its backend running the statement, and holding the history lock, until the statement ends.
    """
    return "RESET ROLE;\nRESET ALL;\n" + ("SET client_connection_check_interval = '1s';\n" if server_version >= 140000 else "")


def batch_sql(batch: Sequence[Migration], table_ident: str, git_commit: str | None, locks: LockPolicy | None, server_version: int) -> str:
    """The one query that applies `batch`, each migration in its own transaction with its history row."""
    session = session_sql(server_version)
    # "\n;\n" ends a last statement without a semicolon, or a trailing -- comment, before what follows.
    # pg_stat_activity shows the whole batch as the query; its application_name says which migration runs.
    name = f"teamigrate_{next(_BATCH_NAMES)}"
    prepare, deallocate = prepared_row_sql(table_ident, name)
    parts = [prepare]
    for m in batch:
        row, finished = applied_row_sql(name, m, git_commit)
        parts.append(f"BEGIN;\nSET LOCAL application_name = '{application_name(m)}';\n{_lock_settings(m, locks)}{row};\n{m.sql}\n;\n{session}{finished};\nCOMMIT;\n")
    parts.append(deallocate)
    return "".join(parts)


def _lock_settings(migration: Migration, locks: LockPolicy | None) -> str:
    return locks.for_migration(migration.directives).set_sql(local=True) if locks is not None else ""


def application_name(migration: Migration) -> str:
    # ids are [0-9a-z_] (is_migration_id), so the literal needs no quoting; PostgreSQL keeps 63 bytes of it.
    return f"teamigrate {migration.id}"[:63]


# What opens a string, a quoted name, a dollar-quoted body or a comment, and the statement separator.
_LEXEME = re.compile(r"""\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$|[Ee]'|'|"|--|/\*|;""")
_COMMENT_MARK = re.compile(r"/\*|\*/")


def code_only(sql: str) -> str:
    """`sql` with every string, quoted name, dollar-quoted body and comment blanked out: what is left is keywords,
    names and the `;` between statements (a scan for the few questions that do not need sqlparse, which is 50x slower)."""
    parts: list[str] = []
    position, size = 0, len(sql)
    while position < size:
        match = _LEXEME.search(sql, position)
        if match is None:
            parts.append(sql[position:])
            break
        parts.append(sql[position : match.start()])
        lexeme = match.group()
        if lexeme == ";":
            parts.append(";")
            position = match.end()
            continue
        parts.append(" ")
        position = _end_of(sql, lexeme, match.end())
    return "".join(parts)


def _end_of(sql: str, lexeme: str, start: int) -> int:
    """Where the string, name, body or comment opened by `lexeme` (ending at `start`) ends."""
    if lexeme == "--":
        end = sql.find("\n", start)
        return len(sql) if end < 0 else end
    if lexeme == "/*":  # comments nest in PostgreSQL
        depth, position = 1, start
        while depth and position < len(sql):
            nxt = _COMMENT_MARK.search(sql, position)
            if nxt is None:
                return len(sql)
            depth += 1 if nxt.group() == "/*" else -1
            position = nxt.end()
        return position
    if lexeme.startswith("$"):
        end = sql.find(lexeme, start)
        return len(sql) if end < 0 else end + len(lexeme)
    quote = lexeme[-1]
    escapes = len(lexeme) == 2  # E'…': backslash escapes
    position = start
    while position < len(sql):
        char = sql[position]
        if escapes and char == "\\":
            position += 2
        elif char == quote:
            if sql[position + 1 : position + 2] == quote:
                position += 2  # a doubled quote stands for itself
            else:
                return position + 1
        else:
            position += 1
    return len(sql)

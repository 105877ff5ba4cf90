"""Running migration SQL against a database: statement by statement, errors that name the file and line.

Public API:

- `split_statements(sql) -> tuple[Statement, ...]` (sqlparse; cached per text).
- `controls_transaction(sql)`: whether it holds BEGIN, COMMIT, ROLLBACK, ….
- `check_executable(migration)`: refuses COPY FROM stdin, psql meta-commands,
  and (in transactional migrations) BEGIN/COMMIT/ROLLBACK.
- `execute_migration_sql(conn, migration)`: transactional migrations in one
  transaction, no-transaction ones statement by statement in autocommit.
- `apply_migration(conn, table, migration, git_commit=None)`: run it and record
  its history row, in the same transaction when it is transactional.
- `apply_migrations(conn, table, migrations, git_commit=None, on_applied=None, locks=None)`:
  the same for many, several to a round trip where nothing needs a closer look;
  with `locks` (history/locks.py) each one waits at most its lock_timeout for its
  locks and is tried again, whole, when that ran out.
- `apply_migration_retrying(conn, table, migration, git_commit, locks)`: one migration, with lock retries.
- `rollback_migration(conn, table, migration_id, down_sql, locks=None)`.
- `prepare_session(conn)`: the login session's settings again (run after each migration).
- `replay(url, migrations, progress=None)`: into a scratch database, no history;
  `replay_into(conn, …)` the same on an open connection.
- `MigrationFailed`: the error (TM211) with `.migration_id`, `.line`,
  `.pg_message`, `.sqlstate`.
- `ExtensionUnavailable`: a `MigrationFailed` for an extension the server's
  build lacks (TM116 in the shadow, TM129 elsewhere), with `.extension`.

Every statement is sent on its own (sqlparse splits the file, keeping every
character) so a failure names the statement's line even when PostgreSQL gives
no error position, which it does not for errors such as "already exists".
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import psycopg

from teamigrate.database import connect, mask_url
from teamigrate.errors import DatabaseError, MigrationError
from teamigrate.history.batches import batch_sql, batchable, code_only, next_batch, session_sql
from teamigrate.history.concurrent_index import ConcurrentIndex
from teamigrate.history.locks import LOCK_NOT_AVAILABLE, LockPolicy, LockRetries, LocksUnavailable, LockWait
from teamigrate.history.migrations import DOWN_FILE, MIGRATION_FILE, Migration
from teamigrate.history.table import HistoryTable, now
from teamigrate.server.extensions import build_serving, missing_extension, unavailable

RESOLVE_HINT = "fix the SQL at that line, then run `teamigrate resolve --rolled-back {id}` and deploy again"
_TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "END", "ABORT", "START", "ROLLBACK"})
_TRANSACTION_WORDS = re.compile(r"\b(?:" + "|".join(sorted(_TRANSACTION_CONTROL)) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    text: str  # exactly as in the file, from its first keyword on
    offset: int  # where `text` starts in the file
    line: int  # 1-based line of its first keyword
    keywords: tuple[str, ...]  # its keywords and names, upper-cased, outside strings and comments
    meta_command_line: int | None  # a psql backslash command inside it, if any


class MigrationFailed(MigrationError):
    """PostgreSQL refused a statement of a migration (TM211)."""

    def __init__(self, migration_id: str, file: str, line: int, pg_message: str, sqlstate: str | None, hint: str) -> None:
        super().__init__("TM211", f"migration {migration_id} failed at {file} line {line}: {pg_message}", hint, migration_id=migration_id)
        self.file = file
        self.line = line
        self.pg_message = pg_message
        self.sqlstate = sqlstate


class ExtensionUnavailable(MigrationFailed):
    """A migration needs an extension the server's PostgreSQL build lacks: TM116 in the shadow, TM129 on the developer's
    or deployment's database. The SQL is not at fault, so the message names the build and the hint the setting that fixes it."""

    def __init__(self, failure: MigrationFailed, extension: str, conn: psycopg.Connection, *, in_shadow: bool) -> None:
        server, hint = unavailable(extension, build_serving(conn), shadow=in_shadow)
        code = "TM116" if in_shadow else "TM129"
        where = f"{failure.file.rsplit('/', 1)[-1]} line {failure.line}"
        MigrationError.__init__(self, code, f"migration {failure.migration_id} needs extension `{extension}` ({where}), {server}", hint, migration_id=failure.migration_id)
        self.file, self.line, self.pg_message, self.sqlstate = failure.file, failure.line, failure.pg_message, failure.sqlstate
        self.extension = extension


@lru_cache(maxsize=512)
def split_statements(sql: str) -> tuple[Statement, ...]:
    # Imported here: a deploy that succeeds never splits, and need not import sqlparse.
    from sqlparse import tokens as T
    from sqlparse.engine import FilterStack

    statements = []
    position, line = 0, 1
    for parsed in FilterStack().run(sql):
        code_start: tuple[int, int] | None = None  # (offset, line) of the first keyword
        keywords: list[str] = []
        meta_line: int | None = None
        for token in parsed.flatten():
            ttype, value = token.ttype, token.value
            if code_start is None and not (ttype in T.Whitespace or ttype in T.Comment):
                code_start = (position, line)
            if meta_line is None and value.startswith("\\") and not (ttype in T.Literal or ttype in T.Comment):
                meta_line = line
            if ttype in T.Keyword or ttype in T.Name:
                keywords.append(value.upper())
            position += len(value)
            line += value.count("\n")
        if code_start is not None:  # else only whitespace and comments
            # Sent from its first keyword, so pg_stat_activity and server logs show the statement itself.
            statements.append(Statement(sql[code_start[0] : position], code_start[0], code_start[1], tuple(keywords), meta_line))
    return tuple(statements)


def _controls_transaction(words: tuple[str, ...]) -> bool:
    if not words or words[0] not in _TRANSACTION_CONTROL:
        return False
    if words[0] == "ROLLBACK":
        return words[1:2] != ("TO",)  # ROLLBACK TO SAVEPOINT stays inside the transaction
    if words[0] == "START":
        return words[1:2] == ("TRANSACTION",)
    return True


def controls_transaction(sql: str) -> bool:
    """Whether a statement of `sql` begins or ends a transaction: BEGIN, COMMIT, ROLLBACK, …"""
    if not _TRANSACTION_WORDS.search(sql):
        return False
    return any(_controls_transaction(tuple(piece.upper().split(None, 2)[:2])) for piece in code_only(sql).split(";"))


def _unexecutable(migration_id: str, where: str, line: int, what: str, code: str = "TM212", hint: str | None = None) -> MigrationError:
    return MigrationError(
        code,
        f"{where} line {line}: {what}",
        hint or "teamigrate sends SQL to PostgreSQL; psql's \\ commands and COPY FROM stdin data are not SQL: use INSERT … VALUES, or run that part with psql",
        migration_id=migration_id,
    )


def check_executable(migration: Migration, sql: str | None = None, file: str = MIGRATION_FILE) -> tuple[Statement, ...]:
    """The statements of the migration, after refusing what teamigrate cannot run correctly."""
    text = migration.sql if sql is None else sql
    where = f"{migration.id}/{file}"
    transactional = Migration(migration.id, text).transactional
    statements = split_statements(text)
    for statement in statements:
        if statement.meta_command_line is not None:
            raise _unexecutable(migration.id, where, statement.meta_command_line, "a psql meta-command (\\…) is not SQL")
        words = statement.keywords
        if words[:1] == ("COPY",) and any(words[i : i + 2] in (("FROM", "STDIN"), ("TO", "STDOUT")) for i in range(len(words))):
            raise _unexecutable(migration.id, where, statement.line, "COPY … FROM stdin / TO stdout needs psql's data stream")
        if transactional and _controls_transaction(words):
            raise _unexecutable(
                migration.id, where, statement.line, f"{words[0]} controls the transaction, but teamigrate runs this migration in one transaction of its own",
                code="TM213",
                hint="remove BEGIN/COMMIT from the file, or make its first line `-- teamigrate: no-transaction`",
            )
    return statements


def _has_position(exc: psycopg.Error) -> bool:
    return str(exc.diag.statement_position or "").isdigit()


def _line_of_error(sql: str, statement: Statement, exc: psycopg.Error) -> int:
    if _has_position(exc):
        return sql.count("\n", 0, statement.offset + int(str(exc.diag.statement_position)) - 1) + 1
    return statement.line


def _pg_message(exc: psycopg.Error) -> str:
    primary = exc.diag.message_primary or str(exc).strip().splitlines()[0]
    detail = exc.diag.message_detail
    return mask_url(f"{primary} ({detail})" if detail else primary)


def _run_statements(conn: psycopg.Connection, migration: Migration, sql: str, file: str, hint: str, *, in_shadow: bool = False) -> None:
    for statement in check_executable(migration, sql, file):
        _run_statement(conn, migration, sql, file, statement, hint, in_shadow=in_shadow)


def _run_statement(conn: psycopg.Connection, migration: Migration, sql: str, file: str, statement: Statement, hint: str, *, in_shadow: bool = False, text: str | None = None) -> None:
    """Send `statement` (or `text` in its place, reported at its line); PostgreSQL's refusal becomes MigrationFailed."""
    try:
        conn.execute(statement.text if text is None else text)
    except psycopg.OperationalError as exc:
        if conn.broken or conn.closed:
            raise DatabaseError("TM118", f"lost the connection while running {migration.id}/{file}: {mask_url(str(exc).strip())}", "check the server, then `teamigrate status` and deploy again") from None
        raise _failure(migration.id, file, sql, statement, exc, hint, conn, in_shadow=in_shadow) from None
    except psycopg.Error as exc:
        raise _failure(migration.id, file, sql, statement, exc, hint, conn, in_shadow=in_shadow) from None


def _failure(migration_id: str, file: str, sql: str, statement: Statement, exc: psycopg.Error, hint: str, conn: psycopg.Connection, *, in_shadow: bool) -> MigrationFailed:
    failure = MigrationFailed(migration_id, f"{migration_id}/{file}", _line_of_error(sql, statement, exc), _pg_message(exc), exc.sqlstate, hint.format(id=migration_id))
    extension = missing_extension(exc)
    return failure if extension is None else ExtensionUnavailable(failure, extension, conn, in_shadow=in_shadow)


def execute_migration_sql(conn: psycopg.Connection, migration: Migration, hint: str = RESOLVE_HINT) -> None:
    """Run migration.sql: in one transaction (a savepoint if the caller holds one), or statement by statement."""
    _execute(conn, migration, migration.sql, MIGRATION_FILE, migration.transactional, hint)


def _execute(conn: psycopg.Connection, migration: Migration, sql: str, file: str, transactional: bool, hint: str, *, in_shadow: bool = False) -> None:
    if transactional:
        with conn.transaction():
            _run_statements(conn, migration, sql, file, hint, in_shadow=in_shadow)
    else:
        _run_statements(conn, migration, sql, file, hint, in_shadow=in_shadow)


def prepare_session(conn: psycopg.Connection) -> None:
    """Give the next migration the login session's settings, whatever the previous one SET.

    Otherwise a `SET search_path` or `SET ROLE` in one migration would change
    what the next one does, and deploying two migrations together would differ
    from deploying them one at a time.
    """
    if conn.closed or conn.broken:
        return
    conn.execute(session_sql(conn.info.server_version))


@contextmanager
def _history_left_alone(migration: Migration, table: HistoryTable) -> Iterator[None]:
    """TM231 when the row cannot be written because the migration renamed, dropped or altered the history table
    (raised inside its transaction, which rolls back: the migration stays pending)."""
    try:
        yield
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn, psycopg.errors.WrongObjectType, psycopg.errors.DatatypeMismatch) as exc:
        primary = exc.diag.message_primary or str(exc).strip()
        raise MigrationError(
            "TM231", f"{migration.id} changed the history table {table.qualified_name} ({primary}): its transaction was rolled back, it is still pending",
            f"a migration must not rename, drop or alter teamigrate's history table: remove that from {migration.id}/{MIGRATION_FILE}, then deploy again",
            migration.id,
        ) from None


def apply_migration(
    conn: psycopg.Connection, table: HistoryTable, migration: Migration, git_commit: str | None = None, locks: LockPolicy | None = None,
    retries: LockRetries | None = None,
) -> float:
    """Run the migration and record it; a failure is recorded as 'failed' (after the rollback) and raised. Returns seconds.

    With `locks`, a transactional migration runs under its lock_timeout (and statement_timeout), and a lock
    timeout is raised without a 'failed' row: its transaction rolled back, so it is simply still pending.
    A no-transaction migration runs under them too; with `retries`, a statement its lock_timeout stopped is
    tried again from that statement (the ones before it committed), see _run_no_transaction.
    """
    table.ensure()
    check_executable(migration)
    prior = table.row(migration.id)
    started_at = now()
    clock = time.monotonic()
    try:
        # The history row is written with the login session's settings (a migration's
        # SET ROLE must not decide who may write it); inside the transaction that is
        # still the migration's own transaction.
        if migration.transactional:
            with conn.transaction():
                if locks is not None:
                    conn.execute(locks.for_migration(migration.directives).set_sql(local=True))
                _run_statements(conn, migration, migration.sql, MIGRATION_FILE, RESOLVE_HINT)
                prepare_session(conn)
                with _history_left_alone(migration, table):
                    table.record_applied(migration, started_at, git_commit)
        else:
            # The 'started' row is committed first, so a crash halfway leaves a trace for deploy to refuse on.
            table.record_started(migration, started_at, git_commit)
            _run_no_transaction(conn, migration, locks, retries)
            prepare_session(conn)
            table.record_applied(migration, started_at, git_commit)
    except LocksUnavailable:
        # Only raised when no statement of it ran: it is pending again, as it was before this try.
        prepare_session(conn)
        if prior is None:
            table.delete(migration.id)
        else:
            table.mark_rolled_back(migration.id)
        raise
    except MigrationFailed as failure:
        prepare_session(conn)
        if isinstance(failure, ExtensionUnavailable) and migration.transactional:
            # Nothing of it ran (its transaction rolled back) and its SQL is not at fault: no 'failed'
            # row, so that once the server has the extension, deploying again needs no `resolve` first.
            raise
        if locks is not None and migration.transactional and failure.sqlstate == LOCK_NOT_AVAILABLE:
            raise  # rolled back whole, to be tried again: still pending, not failed
        table.record_failed(migration, started_at, git_commit, failure.pg_message, failure.line)
        raise
    return time.monotonic() - clock


def apply_migrations(
    conn: psycopg.Connection, table: HistoryTable, migrations: Sequence[Migration], git_commit: str | None = None,
    on_applied: Callable[[Migration, float], None] | None = None, locks: LockRetries | None = None,
) -> None:
    """Apply `migrations` in order, each in its own transaction with its history row; stop at (and raise) the first failure.

    Migrations that need no statement-by-statement look (transactional, no psql command, COPY or
    transaction control anywhere in the text) go to the server several at a time as one simple
    query: `BEGIN; <history row>; <migration>; RESET ALL; <its end>; COMMIT;` each. PostgreSQL runs them in
    order and stops at the first error, whose transaction it rolls back, leaving the ones before it
    committed. That migration is then applied again on its own the statement-by-statement way,
    which rolls back again and records the failure with its line: the same result as applying
    every migration alone, for the price of one round trip per batch instead of several per migration.
    With `locks`, a migration stopped by its lock_timeout is tried again (alone) after a backoff, and
    LocksUnavailable (TM230) is raised when its tries run out.
    """
    policy = locks.policy if locks is not None else None
    table.ensure()
    pending = list(migrations)
    while pending:
        batch = next_batch(pending)
        if not batch:
            migration = pending.pop(0)
            seconds = apply_migration_retrying(conn, table, migration, git_commit, locks)
            if on_applied is not None:
                on_applied(migration, seconds)
            continue
        applied, sqlstate = _apply_batch(conn, table, batch, git_commit, policy)
        durations = table.durations([m.id for m in applied]) if applied else {}
        for migration in applied:
            if on_applied is not None:
                on_applied(migration, durations.get(migration.id, 0) / 1000)
        del pending[: len(applied)]
        if len(applied) < len(batch):
            # The batch stopped at this one: on its own it fails again, is recorded as failed and raised;
            # unless a lock timeout stopped it, which counts as its first try.
            migration = pending.pop(0)
            timed_out = 1 if sqlstate == LOCK_NOT_AVAILABLE and locks is not None else 0
            seconds = apply_migration_retrying(conn, table, migration, git_commit, locks, timed_out)
            if on_applied is not None:
                on_applied(migration, seconds)


def _run_no_transaction(conn: psycopg.Connection, migration: Migration, locks: LockPolicy | None, retries: LockRetries | None) -> None:
    """Statement by statement in autocommit. A statement stopped by its lock_timeout is tried again from itself
    (the ones before it committed each on its own), after a backoff; a CREATE INDEX CONCURRENTLY that failed
    has the INVALID index it left dropped first (history/concurrent_index.py). The session's settings come
    back with prepare_session after it."""
    policy = locks.for_migration(migration.directives) if locks is not None else None
    if policy is not None:
        conn.execute(policy.set_sql(local=False))
    tries = policy.retries + 1 if policy is not None and retries is not None else 1
    timed_out = 0
    for number, statement in enumerate(check_executable(migration)):
        index = ConcurrentIndex.before(conn, statement.text)
        while True:
            try:
                if index is not None:
                    _drop_left_invalid(conn, migration, statement, index, retries)
                _run_statement(conn, migration, migration.sql, MIGRATION_FILE, statement, RESOLVE_HINT)
                break
            except MigrationFailed as failure:
                lock_timeout = failure.sqlstate == LOCK_NOT_AVAILABLE and policy is not None and retries is not None
                if not lock_timeout or timed_out + 1 >= tries:
                    failure.hint += index.clean_up_after_failure(conn) if index is not None else ""
                    left = index.left_for_next_deploy(conn) if index is not None else ""
                    if lock_timeout and number == 0 and left is not None and retries is not None and policy is not None:
                        unavailable = LocksUnavailable(migration.id, tries, policy.lock_timeout, retries.blockers())
                        unavailable.hint += left
                        raise unavailable from None
                    raise failure from None
                timed_out += 1
                delay = policy.backoff(timed_out) if policy is not None else 0.0
                if retries is not None and retries.on_wait is not None:
                    retries.on_wait(LockWait(migration.id, timed_out, tries, policy.lock_timeout if policy else None, delay, retries.blockers(), statement.line))
                time.sleep(delay)


def _drop_left_invalid(conn: psycopg.Connection, migration: Migration, statement: Statement, index: ConcurrentIndex, retries: LockRetries | None) -> None:
    try:
        dropped = index.drop_left_invalid(conn)
    except psycopg.Error as exc:
        # Under the same lock_timeout as the build: a timeout here counts as one more timed-out try.
        raise _failure(migration.id, MIGRATION_FILE, migration.sql, statement, exc, RESOLVE_HINT, conn, in_shadow=False) from None
    for name in dropped:
        if retries is not None and retries.on_dropped is not None:
            retries.on_dropped(migration.id, name)


def apply_migration_retrying(conn: psycopg.Connection, table: HistoryTable, migration: Migration, git_commit: str | None, locks: LockRetries | None, timed_out: int = 0) -> float:
    """apply_migration, tried again while its lock_timeout runs out; `timed_out` tries already did. Returns seconds."""
    if locks is None or not migration.transactional:
        return apply_migration(conn, table, migration, git_commit, locks.policy if locks is not None else None, retries=locks)
    return _retrying(migration, locks, lambda: apply_migration(conn, table, migration, git_commit, locks.policy), timed_out)


def _retrying(migration: Migration, locks: LockRetries, attempt: Callable[[], float], timed_out: int = 0) -> float:
    """`attempt()` (one whole transaction) again after a backoff each time PostgreSQL's lock_timeout stopped it."""
    policy = locks.policy.for_migration(migration.directives)
    tries = policy.retries + 1
    while True:
        if timed_out >= tries:
            raise LocksUnavailable(migration.id, tries, policy.lock_timeout, locks.blockers())
        if timed_out:
            # Waiting outside any transaction: the queries that queued behind the migration's lock run meanwhile.
            delay = policy.backoff(timed_out)
            if locks.on_wait is not None:
                locks.on_wait(LockWait(migration.id, timed_out, tries, policy.lock_timeout, delay, locks.blockers()))
            time.sleep(delay)
        try:
            return attempt()
        except MigrationFailed as failure:
            if failure.sqlstate != LOCK_NOT_AVAILABLE:
                raise
            timed_out += 1


def _apply_batch(conn: psycopg.Connection, table: HistoryTable, batch: Sequence[Migration], git_commit: str | None, locks: LockPolicy | None) -> tuple[list[Migration], str | None]:
    """Run the batch as one query; the migrations that committed (all of them, unless one failed) and the error's SQLSTATE."""
    from psycopg.pq import TransactionStatus

    text = batch_sql(batch, table.ident_sql(), git_commit, locks, conn.info.server_version)
    try:
        conn.execute(text.encode())
        return list(batch), None
    except psycopg.Error as exc:
        if conn.broken or conn.closed:
            raise DatabaseError("TM118", f"lost the connection while applying {batch[0].id} and after", "check the server, then `teamigrate status` and deploy again") from None
        if conn.info.transaction_status == TransactionStatus.INERROR:
            conn.execute("ROLLBACK")
        prepare_session(conn)
        committed = {row.id for row in table.rows() if row.state == "applied"}
        done = []
        for migration in batch:
            if migration.id not in committed:
                break
            done.append(migration)
        return done, exc.sqlstate


def rollback_migration(conn: psycopg.Connection, table: HistoryTable, migration_id: str, down_sql: str | None, locks: LockRetries | None = None) -> float:
    """Run a down.sql and mark the migration rolled back (together, when the down.sql is transactional). Returns seconds.

    With `locks`, a transactional down.sql runs under its lock_timeout and is tried again as apply_migrations does.
    """
    if down_sql is None or not down_sql.strip():
        raise MigrationError("TM222", f"migration {migration_id} has no down.sql, so it cannot be rolled back", f"write {migration_id}/{DOWN_FILE}, or roll back by hand and `teamigrate resolve`", migration_id=migration_id)
    down = Migration(migration_id, down_sql)
    if locks is not None and down.transactional:
        # A failed transactional down.sql leaves no trace (nothing is recorded), so a lock timeout can be retried whole.
        return _retrying(down, locks, lambda: _rollback(conn, table, down, locks.policy))
    return _rollback(conn, table, down, None)


def _rollback(conn: psycopg.Connection, table: HistoryTable, down: Migration, locks: LockPolicy | None) -> float:
    migration_id, down_sql = down.id, down.sql
    hint = "fix the down.sql at that line and run the rollback again (nothing of it was kept)" if down.transactional else "fix the down.sql; the statements before that line ran"
    clock = time.monotonic()
    table.ensure()
    if down.transactional:
        with conn.transaction():
            if locks is not None:
                conn.execute(locks.for_migration(down.directives).set_sql(local=True))
            _run_statements(conn, down, down_sql, DOWN_FILE, hint)
            prepare_session(conn)
            table.mark_rolled_back(migration_id)
    else:
        _run_statements(conn, down, down_sql, DOWN_FILE, hint)
        prepare_session(conn)
        table.mark_rolled_back(migration_id)
    return time.monotonic() - clock


def replay(url: str, migrations: Sequence[Migration], progress: Callable[[Migration], None] | None = None) -> None:
    """Run every migration into the database at `url` (a scratch database), recording no history.

    For speed, a transactional migration whose text holds nothing that needs a
    closer look is sent as one query; when it fails, it is run again statement
    by statement (the database is a scratch one) so that the error names its line.
    """
    with connect(url) as conn:
        replay_into(conn, migrations, progress)


def replay_into(conn: psycopg.Connection, migrations: Sequence[Migration], progress: Callable[[Migration], None] | None = None, *, whole_files: bool = True) -> None:
    """`replay` on an open connection; inside the caller's transaction, each migration runs in a savepoint.

    `whole_files=False` sends every statement on its own, after check_executable:
    then no COMMIT hidden behind a comment can end the caller's transaction.
    """
    hint = "fix that migration's SQL; it does not replay from an empty database"
    for migration in migrations:
        if whole_files and batchable(migration):
            try:
                with conn.transaction():
                    conn.execute(migration.sql)
            except psycopg.Error as exc:
                if conn.broken or conn.closed:
                    raise DatabaseError("TM118", f"lost the connection while replaying {migration.id}", "check the shadow server and run again") from None
                whole_file = Statement(migration.sql, 0, 1, (), None)
                failure = _failure(migration.id, MIGRATION_FILE, migration.sql, whole_file, exc, hint, conn, in_shadow=True)
                if not _has_position(exc):
                    _execute(conn, migration, migration.sql, MIGRATION_FILE, True, hint, in_shadow=True)  # raises, naming the line
                raise failure from None
        else:
            _execute(conn, migration, migration.sql, MIGRATION_FILE, migration.transactional, hint, in_shadow=True)
        prepare_session(conn)
        if progress is not None:
            progress(migration)

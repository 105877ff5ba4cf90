"""`deploy` through libpq alone, while nothing needs more than sending the pending migrations in batches.

A release pipeline runs `teamigrate deploy` in a new process against a database
that is a few migrations behind; importing psycopg takes about as long as
applying them. This path connects with libpq through ctypes (teamigrate/libpq.py)
and does what commands/deploy.py's path does, with the same SQL text: the
session settings, the advisory lock of the history, the history table created
or checked, the history read, and the pending migrations sent as batches
(history/batches.py), each in its own transaction with its history row.

It hands over to the psycopg path (which reads the history again under the
lock and goes on from there) as soon as anything needs a closer look: a
history table that is not as expected, a migration that is failed, started,
missing from the checkout, squashed, out of order or not batchable, and a
batch that fails. The migrations committed before that stay committed and
reported, and a batch stopped by its lock_timeout counts as that migration's
first try, with the sessions seen blocking it. So every guarantee, failure
message and exit code is the psycopg path's own.

Public API: `deploy_fast(config, url, migrations, git_commit) -> FastDeploy | None`
(None: libpq is not there, or the database is the embedded one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from teamigrate import output
from teamigrate.config import Config
from teamigrate.database import connection_error, quote_ident
from teamigrate.errors import DatabaseError
from teamigrate.history.batches import batch_sql, next_batch, session_sql
from teamigrate.history.locks import BLOCKERS_SQL, Blocker, LockPolicy, lock_policy
from teamigrate.history.migrations import Migration
from teamigrate.history.rows import COLUMNS, HistoryRow, create_lock_key, create_table_sql, history_lock_key, qualified_ident, split_name
from teamigrate.history.states import APPLIED, PENDING, blocking_problem, migration_states, unrecorded_replacements
from teamigrate.libpq import ConnectFailed, Libpq, QueryFailed, Session, load

LOCK_NOT_AVAILABLE = "55P03"


@dataclass(frozen=True)
class FastDeploy:
    applied: int  # migrations applied (and reported) here
    finished: bool  # nothing is left for the psycopg path
    timed_out: str | None = None  # the migration whose first try its lock_timeout stopped
    blockers: tuple[Blocker, ...] = ()  # the sessions seen blocking it


class _HandOver(Exception):
    """Something needs the psycopg path: nothing more is done here."""


def deploy_fast(config: Config, url: str | None, migrations: Sequence[Migration], git_commit: str | None) -> FastDeploy | None:
    target = url or config.database_url
    libpq = load() if target else None
    if libpq is None:
        return None
    try:
        session = libpq.connect(target)
    except ConnectFailed as exc:
        raise connection_error(target, exc) from None
    try:
        session.send(session_sql(session.server_version))
        key = str(history_lock_key(config.history_table))
        session.query("SELECT pg_advisory_lock($1::bigint)", [key])
        try:
            return _deploy(libpq, session, target, config, migrations, git_commit)
        finally:
            if not session.broken:
                session.query("SELECT pg_advisory_unlock($1::bigint)", [key])
    except QueryFailed:
        if session.broken:
            raise DatabaseError("TM118", "lost the connection before deploying", "check the server, then `teamigrate status` and deploy again") from None
        return FastDeploy(0, False)  # refused before any migration ran (a permission, a table of another shape): the psycopg path says why
    finally:
        session.close()


def _deploy(libpq: Libpq, session: Session, url: str, config: Config, migrations: Sequence[Migration], git_commit: str | None) -> FastDeploy:
    table = qualified_ident(config.history_table)
    if not _history_ready(session, config.history_table):
        return FastDeploy(0, False)
    rows = _rows(session, table)
    states = migration_states(migrations, rows)
    if blocking_problem(states, rows) is not None or unrecorded_replacements(states) or any(s.state not in (APPLIED, PENDING) for s in states):
        return FastDeploy(0, False)
    todo = [s.migration for s in states if s.state == PENDING and s.migration is not None]
    newest = max((s.id for s in states if s.state == APPLIED and s.row is not None), default="")
    if any(migration.id < newest for migration in todo):
        return FastDeploy(0, False)  # out of order: the psycopg path warns
    policy = lock_policy(config)
    applied = 0
    with output.progress("deploying", len(todo)) as bar:
        batch = next_batch(todo)
        text = _batch_text(batch, table, git_commit, policy, session.server_version)
        while batch:
            watch = _BlockerWatch(libpq, url, session.backend_pid)
            session.submit(text)
            # The next batch's text is made while the server runs this one.
            following = next_batch(todo[len(batch):])
            text = _batch_text(following, table, git_commit, policy, session.server_version) if following else ""
            try:
                durations = _by_id(session.collect(wait=watch.sample))
                done, failure = batch, None
            except QueryFailed as exc:
                if session.broken:
                    raise DatabaseError("TM118", f"lost the connection while applying {batch[0].id} and after", "check the server, then `teamigrate status` and deploy again") from None
                if session.in_transaction:
                    session.send("ROLLBACK")
                session.send(session_sql(session.server_version))
                done, failure = _committed(session, table, batch), exc
                durations = _durations(session, table, [m.id for m in done])
            finally:
                watch.close()
            for migration in done:
                output.line(f"applied {migration.id} ({durations.get(migration.id, 0):.0f} ms)")
                bar.advance(migration.id)
            applied += len(done)
            if failure is not None:
                # Applied again on the psycopg path, alone: it fails again and is recorded with its line, or is retried.
                timed_out = batch[len(done)].id if failure.sqlstate == LOCK_NOT_AVAILABLE else None
                return FastDeploy(applied, False, timed_out, watch.last)
            todo, batch = todo[len(batch):], following
    return FastDeploy(applied, not todo)


def _history_ready(session: Session, qualified_name: str) -> bool:
    """The history table exists (created here on first use, as HistoryTable.ensure creates it) with every column."""
    schema, table = split_name(qualified_name)
    shape = _shape(session, schema, table)
    if shape is None:
        schema_missing = not session.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])
        create = create_table_sql(qualified_name, with_schema=schema_missing)
        session.send(f"BEGIN;\nSELECT pg_advisory_xact_lock({create_lock_key(qualified_name)});\n{create}\n;\nCOMMIT;")
        shape = _shape(session, schema, table)
    return shape is not None and shape[0] in ("r", "p") and shape[1] == str(len(COLUMNS))


def _shape(session: Session, schema: str, table: str) -> tuple[str | None, str | None] | None:
    """The table's relkind, and how many of COLUMNS it has."""
    found = session.query(
        "SELECT c.relkind::text, (SELECT count(*) FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped AND attname = ANY($3::text[]))::text "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
        [schema, table, _id_array(COLUMNS)],
    )
    return (found[0][0], found[0][1]) if found else None


def _rows(session: Session, table: str) -> tuple[HistoryRow, ...]:
    times = {"started_at", "finished_at"}
    columns = ", ".join(
        f"extract(epoch FROM {quote_ident(c)})::text" if c in times else f"CASE WHEN cardinality({quote_ident(c)}) > 0 THEN to_json({quote_ident(c)})::text END" if c == "replaces" else f"{quote_ident(c)}::text"
        for c in COLUMNS
    )
    return tuple(_row(dict(zip(COLUMNS, values))) for values in session.query(f"SELECT {columns} FROM {table} ORDER BY id"))


def _moment(epoch: str | None) -> datetime | None:
    return datetime.fromtimestamp(float(epoch), timezone.utc) if epoch is not None else None


def _row(values: dict[str, str | None]) -> HistoryRow:
    def number(text: str | None) -> int | None:
        return int(text) if text is not None else None

    started = _moment(values["started_at"])
    assert started is not None  # NOT NULL
    return HistoryRow(
        id=str(values["id"]), checksum=str(values["checksum"]), state=str(values["state"]), started_at=started,
        finished_at=_moment(values["finished_at"]), duration_ms=number(values["duration_ms"]), applied_by=str(values["applied_by"]),
        os_user=values["os_user"], git_commit=values["git_commit"], error=values["error"], error_line=number(values["error_line"]),
        down_sql=values["down_sql"], replaces=_ids(values["replaces"]),
    )


def _ids(replaces: str | None) -> tuple[str, ...]:
    if replaces is None:
        return ()  # as nearly every row: json is imported for a squash's row only
    import json

    return tuple(json.loads(replaces))


def _id_array(ids: Sequence[str]) -> str:
    return "{" + ",".join(f'"{migration_id}"' for migration_id in ids) + "}"  # ids and COLUMNS are [0-9a-z_]


def _committed(session: Session, table: str, batch: Sequence[Migration]) -> list[Migration]:
    """The head of `batch` that committed before the failure."""
    found = {row[0] for row in session.query(f"SELECT id FROM {table} WHERE id = ANY($1::text[]) AND state = 'applied'", [_id_array([m.id for m in batch])])}
    done = []
    for migration in batch:
        if migration.id not in found:
            break
        done.append(migration)
    return done


def _batch_text(batch: Sequence[Migration], table: str, git_commit: str | None, policy: LockPolicy, server_version: int) -> str:
    """The batch, then the durations its rows recorded: their last result, in the same round trip."""
    return batch_sql(batch, table, git_commit, policy, server_version) + _DURATIONS.format(table=table, ids=f"'{_id_array([m.id for m in batch])}'") + ";\n"


_DURATIONS = "SELECT id, duration_ms FROM {table} WHERE id = ANY({ids}::text[]) AND state = 'applied'"


def _durations(session: Session, table: str, ids: Sequence[str]) -> dict[str, int]:
    return _by_id(session.query(_DURATIONS.format(table=table, ids="$1"), [_id_array(ids)])) if ids else {}


def _by_id(rows: Sequence[tuple[str | None, ...]]) -> dict[str, int]:
    return {str(row[0]): int(row[1] or 0) for row in rows}


# history/locks.py's query, its timestamp read as seconds since the epoch
_BLOCKERS = (
    "SELECT pid::text, application_name, state, seconds::text, extract(epoch FROM query_start)::text FROM ("
    + BLOCKERS_SQL.replace("%s", "$1::int") + ") AS b(pid, application_name, state, seconds, query_start) ORDER BY pid"
)


class _BlockerWatch:
    """The sessions blocking the deploy's, sampled every 0.1 s while a batch waits (history/locks.BlockerWatch's work,
    without a thread): on a connection of its own, opened on the first sample."""

    def __init__(self, libpq: Libpq, url: str, pid: int) -> None:
        self._libpq, self._url, self._pid = libpq, url, pid
        self._session: Session | None = None
        self._failed = False
        self.last: tuple[Blocker, ...] = ()

    def sample(self) -> None:
        if self._failed:
            return
        try:
            if self._session is None:
                self._session = self._libpq.connect(self._url)
                self._session.send("SET application_name = 'teamigrate lock watch'")
            rows = self._session.query(_BLOCKERS, [str(self._pid)])
        except (ConnectFailed, QueryFailed):
            self._failed = True  # naming the blockers is a courtesy: a watcher that cannot connect must not fail the deploy
            return
        if rows:
            self.last = tuple(Blocker(int(str(r[0])), r[1] or "", r[2] or "", float(r[3] or 0), _moment(r[4])) for r in rows)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

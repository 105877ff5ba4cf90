"""Lock timeouts for applying migrations: the policy, its backoff, and who blocks a waiting migration.

A migration that waits for a lock (ALTER TABLE behind a long transaction) queues
every later reader of that table behind itself, so a busy production table
stops answering. With `lock_timeout` the migration gives up after a few
seconds instead, its transaction rolls back, the readers pass, and it is tried
again after a backoff.

Public API:

- `LockPolicy(lock_timeout, statement_timeout, retries)`: `.for_migration(directives)`,
  `.set_sql(local=True)`, `.backoff(retry)`; `lock_policy(config)` from teamigrate.yaml's `deploy:`.
- `Blocker` and `BlockerWatch(url, pid)`: a thread that samples, from its own connection,
  the sessions that block `pid` (while the statement waits; after the timeout nothing waits).
- `LockWait`: one wait, for the caller's report; `LockRetries`: policy, report and blockers
  for `apply_migrations`; `LocksUnavailable`: TM230.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from types import TracebackType

from teamigrate.config import Config, DeployConfig, parse_duration
from teamigrate.database import connect
from teamigrate.errors import MigrationError, TeamigrateError

LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE of a lock_timeout (and of NOWAIT)
# The backoff doubles from this up to the cap; jitter keeps several deploys from retrying in step.
_FIRST_BACKOFF = 0.5
_MAX_BACKOFF = 30.0


def _ms(seconds: float) -> str:
    return f"{max(1, round(seconds * 1000))}ms"  # 0 would mean "no timeout" to PostgreSQL


def show_duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:g} s"


@dataclass(frozen=True)
class LockPolicy:
    lock_timeout: float | None = 5.0
    statement_timeout: float | None = None
    retries: int = 5  # tries after the first

    def for_migration(self, directives: Sequence[str]) -> LockPolicy:
        """The policy with a migration's own `-- teamigrate: lock-timeout 30s` / `statement-timeout 10min`."""
        policy = self
        for directive in directives:
            words = directive.split()
            if len(words) == 2 and words[0].lower() == "lock-timeout":
                policy = replace(policy, lock_timeout=parse_duration(words[1]))
            elif len(words) == 2 and words[0].lower() == "statement-timeout":
                policy = replace(policy, statement_timeout=parse_duration(words[1]))
        return policy

    def set_sql(self, *, local: bool = True) -> str:
        verb = "SET LOCAL" if local else "SET"
        parts = []
        if self.lock_timeout is not None:
            parts.append(f"{verb} lock_timeout = '{_ms(self.lock_timeout)}';\n")
        if self.statement_timeout is not None:
            parts.append(f"{verb} statement_timeout = '{_ms(self.statement_timeout)}';\n")
        return "".join(parts)

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1-based): doubling, capped, with jitter."""
        import random  # only when a lock wait is retried

        ceiling = min(_MAX_BACKOFF, _FIRST_BACKOFF * 2 ** (retry - 1))
        return random.uniform(ceiling / 2, ceiling)


def lock_policy(config: Config) -> LockPolicy:
    deploy: DeployConfig = config.deploy
    return LockPolicy(deploy.lock_timeout, deploy.statement_timeout, deploy.retries)


@dataclass(frozen=True)
class Blocker:
    pid: int
    application_name: str
    state: str
    seconds: float  # how long its transaction (or, outside one, its query) has been running
    query_start: datetime | None

    def describe(self) -> str:
        name = self.application_name or "no application_name"
        started = f", query started {self.query_start:%Y-%m-%d %H:%M:%S %Z}".rstrip() if self.query_start else ""
        return f"pid {self.pid} ({name}, {self.state or 'unknown state'} for {self.seconds:.1f} s{started})"


def describe_blockers(blockers: Sequence[Blocker]) -> str:
    return "; ".join(b.describe() for b in blockers) if blockers else "no blocking session was seen"


BLOCKERS_SQL = """
SELECT pid, coalesce(application_name, ''), coalesce(state, ''),
       extract(epoch FROM now() - coalesce(xact_start, query_start, backend_start))::float8, query_start
FROM pg_stat_activity WHERE pid = ANY(pg_blocking_pids(%s)) ORDER BY pid
"""


class BlockerWatch:
    """Samples the sessions blocking `pid` every `interval` seconds on a connection of its own, in a thread."""

    def __init__(self, url: str, pid: int, interval: float = 0.1) -> None:
        self._url, self._pid, self._interval = url, pid, interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._last: tuple[Blocker, ...] = ()
        self._thread = threading.Thread(target=self._run, name="teamigrate-blocker-watch", daemon=True)

    def __enter__(self) -> BlockerWatch:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=1)  # a daemon thread: a slow connect must not hold up the command

    def last_seen(self) -> tuple[Blocker, ...]:
        """The latest non-empty sample: the blockers of the most recent wait."""
        with self._lock:
            return self._last

    def _run(self) -> None:
        import psycopg  # here: the deploy that talks to libpq itself (commands/deploy_fast.py) reads this module's policy

        try:
            with connect(self._url) as conn:
                conn.execute("SET application_name = 'teamigrate lock watch'")
                while not self._stop.wait(self._interval):
                    rows = conn.execute(BLOCKERS_SQL, (self._pid,)).fetchall()
                    if rows:
                        with self._lock:
                            self._last = tuple(Blocker(int(r[0]), r[1], r[2], float(r[3] or 0), r[4]) for r in rows)
        except (psycopg.Error, TeamigrateError, OSError):
            # Naming the blockers is a courtesy: a watcher that cannot connect must not fail the deploy.
            return


@dataclass(frozen=True)
class LockWait:
    migration_id: str
    attempt: int  # the try that just timed out, 1-based
    tries: int
    lock_timeout: float | None
    delay: float  # seconds until the next try
    blockers: tuple[Blocker, ...]
    # No-transaction migrations: the line of the statement tried again (the ones before it stay done).
    resumes_at_line: int | None = None


@dataclass(frozen=True)
class LockRetries:
    """What apply_migrations needs to retry on lock timeouts: the policy, who to tell, who blocks."""

    policy: LockPolicy
    on_wait: Callable[[LockWait], None] | None = None
    blockers: Callable[[], tuple[Blocker, ...]] = lambda: ()
    on_dropped: Callable[[str, str], None] | None = None  # (migration id, index): an INVALID index dropped before a retry


class LocksUnavailable(MigrationError):
    """A migration timed out waiting for its locks on every try (TM230); it is still pending."""

    def __init__(self, migration_id: str, tries: int, lock_timeout: float | None, blockers: tuple[Blocker, ...]) -> None:
        timeout = f" of {show_duration(lock_timeout)}" if lock_timeout is not None else ""
        super().__init__(
            "TM230",
            f"migration {migration_id} could not take its locks in {tries} tr{'y' if tries == 1 else 'ies'} (lock_timeout{timeout} each), blocked by {describe_blockers(blockers)}",
            f"it is still pending (nothing of it was kept): end or wait for the blocking sessions and deploy again, or raise deploy.retries / deploy.lock_timeout in teamigrate.yaml (or `-- teamigrate: lock-timeout 30s` in {migration_id})",
            migration_id=migration_id,
        )
        self.blockers = blockers

"""`teamigrate deploy`: apply pending migrations under one advisory lock, each with its history row.

Public API: `deploy(config, url=None) -> int` and `apply_pending(target,
migrations, git_commit)` (the locked core that `sync` and `dev` reuse; it
assumes the caller holds `target.table.locked()`); `lock_retries(target)`: the lock-timeout
retries, reported, with a watcher that names the blocking sessions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from teamigrate import output
from teamigrate.config import Config
from teamigrate.database import mask_url
from teamigrate.git import head_commit
from teamigrate.history.apply import apply_migrations
from teamigrate.history.locks import BlockerWatch, LockRetries, LockWait, describe_blockers, show_duration
from teamigrate.workspace.project import Target, checked_out_migrations, open_target
from teamigrate.history.migrations import Migration
from teamigrate.history.states import APPLIED, MISSING, blocking_problem, migration_states, pending, unrecorded_replacements
from teamigrate.history.table import now


def deploy(config: Config, url: str | None = None) -> int:
    # Everything about the files is checked before the database is touched.
    migrations = checked_out_migrations(config)
    git_commit = head_commit(config.root)
    with open_target(config, url) as target:
        with target.table.locked():
            applied = apply_pending(target, migrations, git_commit)
        if applied:
            output.line(f"deployed {applied} migration{'s' if applied != 1 else ''} to {mask_url(target.url)}")
        else:
            applied_all = "the only migration is" if len(migrations) == 1 else f"all {len(migrations)} migrations are"
            output.line(f"nothing to deploy: {applied_all} applied to {mask_url(target.url)}")
    return 0


def apply_pending(target: Target, migrations: Sequence[Migration], git_commit: str | None) -> int:
    """Apply what is pending, in id order; stop at (and raise) the first failure. Returns how many ran."""
    target.table.ensure()
    rows = target.table.rows()
    states = migration_states(migrations, rows)
    problem = blocking_problem(states, rows)
    if problem is not None:
        raise problem
    for state in states:
        if state.state == MISSING:
            output.warn(f"{state.id} is applied in the database but not in this checkout (another branch's?)")
    for squashed in unrecorded_replacements(states):
        target.table.record_applied(squashed, now(), git_commit)
        output.line(f"recorded {squashed.id} as applied: it replaces {', '.join(squashed.replaces)}")
    todo = pending(states)
    newest = max((s.id for s in states if s.state == APPLIED and s.row is not None), default="")
    for migration in todo:
        if migration.id < newest:
            output.warn(f"{migration.id} sorts before {newest}, which is applied: applying it out of order (merged from another branch?)")
    with output.progress("deploying", len(todo)) as bar:

        def applied(migration: Migration, seconds: float) -> None:
            output.line(f"applied {migration.id} ({seconds * 1000:.0f} ms)")
            bar.advance(migration.id)

        if not todo:
            return 0
        with lock_retries(target) as locks:
            apply_migrations(target.conn, target.table, todo, git_commit, on_applied=applied, locks=locks)
    return len(todo)


@contextmanager
def lock_retries(target: Target, watch: bool = True) -> Iterator[LockRetries]:
    """Retries on lock timeouts for the migrations run on `target`, reported as they happen (deploy, dev, reset, sync, rollback)."""
    if not watch:
        yield LockRetries(target.locks, report_lock_wait, on_dropped=report_dropped_index)
        return
    # The watcher names the sessions a migration waits for while it waits: after its lock_timeout
    # nothing waits any more, and TM230 would have no one to name.
    with BlockerWatch(target.url, target.conn.info.backend_pid) as watcher:
        yield LockRetries(target.locks, report_lock_wait, watcher.last_seen, report_dropped_index)


def report_lock_wait(wait: LockWait) -> None:
    timeout = f" {show_duration(wait.lock_timeout)}" if wait.lock_timeout is not None else ""
    output.warn(
        f"{wait.migration_id} waited its lock_timeout{timeout} for locks (try {wait.attempt} of {wait.tries}), "
        f"blocked by {describe_blockers(wait.blockers)}; {_undone(wait)}, retrying in {wait.delay:.1f} s"
    )


def _undone(wait: LockWait) -> str:
    if wait.resumes_at_line is None:
        return "rolled back"
    return f"the statements before line {wait.resumes_at_line} stay done (no-transaction), that one is retried"


def report_dropped_index(migration_id: str, index: str) -> None:
    output.warn(f"{migration_id}: dropped the INVALID index {index} its failed CREATE INDEX CONCURRENTLY left, before trying it again")

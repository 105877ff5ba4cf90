"""`teamigrate deploy`: apply pending migrations under one advisory lock, each with its history row.

Public API: `deploy(config, url=None, dry_run=False, as_json=False) -> int` and `apply_pending(target,
migrations, git_commit)` (the locked core that `sync` and `dev` reuse; it
assumes the caller holds `target.table.locked()`); `lock_retries(target)`: the lock-timeout
retries, reported, with a watcher that names the blocking sessions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from teamigrate import output
from teamigrate.config import Config
from teamigrate.database import mask_url
from teamigrate.git import head_commit_later
from teamigrate.commands.deploy_fast import FastDeploy, deploy_fast
from teamigrate.history.locks import Blocker, BlockerWatch, LockPolicy, LockRetries, LockWait, describe_blockers, lock_policy, show_duration
from teamigrate.history.migrations import Migration
from teamigrate.history.rows import now
from teamigrate.history.states import APPLIED, MISSING, blocking_problem, migration_states, pending, unrecorded_replacements
from teamigrate.workspace.project import Target, checked_out_migrations, open_target

if TYPE_CHECKING:  # the dry run's; imported there, so that a deploy does not import the linter and sqlparse
    from teamigrate.lint.lock_levels import LockWalk, StatementEffect

# history/apply.py (and with it psycopg) is imported where the psycopg path starts: a deploy that
# commands/deploy_fast.py finishes through libpq alone never imports it.


def deploy(config: Config, url: str | None = None, dry_run: bool = False, as_json: bool = False) -> int:
    # Everything about the files is checked before the database is touched (git names HEAD meanwhile).
    head = head_commit_later(config.root)
    migrations = checked_out_migrations(config)
    if dry_run:
        return _dry_run(config, migrations, url, as_json)
    git_commit = head()
    fast = deploy_fast(config, url, migrations, git_commit)
    if fast is not None and fast.finished:
        _report(fast.applied, len(migrations), url or config.database_url)
        return 0
    with open_target(config, url) as target:
        with target.table.locked():
            applied = apply_pending(target, migrations, git_commit, fast)
        _report(applied + (fast.applied if fast is not None else 0), len(migrations), target.url)
    return 0


def _report(applied: int, migrations: int, url: str) -> None:
    if applied:
        output.line(f"deployed {applied} migration{'s' if applied != 1 else ''} to {mask_url(url)}")
    else:
        applied_all = "the only migration is" if migrations == 1 else f"all {migrations} migrations are"
        output.line(f"nothing to deploy: {applied_all} applied to {mask_url(url)}")


def apply_pending(target: Target, migrations: Sequence[Migration], git_commit: str | None, fast: FastDeploy | None = None) -> int:
    """Apply what is pending, in id order; stop at (and raise) the first failure. Returns how many ran.

    `fast`: where deploy_fast handed over; a migration its batch saw stopped by its lock_timeout goes on from
    its second try, reported with the sessions seen blocking it then.
    """
    from teamigrate.history.apply import apply_migration_retrying, apply_migrations

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
        with lock_retries(target, seen=fast.blockers if fast is not None else ()) as locks:
            rest = list(todo)
            if fast is not None and fast.timed_out == rest[0].id:
                first = rest.pop(0)
                applied(first, apply_migration_retrying(target.conn, target.table, first, git_commit, locks, timed_out=1))
            apply_migrations(target.conn, target.table, rest, git_commit, on_applied=applied, locks=locks)
    return len(todo)


@contextmanager
def lock_retries(target: Target, watch: bool = True, seen: tuple[Blocker, ...] = ()) -> Iterator[LockRetries]:
    """Retries on lock timeouts for the migrations run on `target`, reported as they happen (deploy, dev, reset, sync, rollback).

    `seen`: blockers sampled before (deploy_fast's watch), named until this watcher has seen any."""
    if not watch:
        yield LockRetries(target.locks, report_lock_wait, on_dropped=report_dropped_index)
        return
    # The watcher names the sessions a migration waits for while it waits: after its lock_timeout
    # nothing waits any more, and TM230 would have no one to name.
    with BlockerWatch(target.url, target.conn.info.backend_pid) as watcher:
        yield LockRetries(target.locks, report_lock_wait, lambda: watcher.last_seen() or seen, report_dropped_index)


def report_lock_wait(wait: LockWait) -> None:
    timeout = f" {show_duration(wait.lock_timeout)}" if wait.lock_timeout is not None else ""
    output.warn(
        f"{wait.migration_id} waited its lock_timeout{timeout} for locks (try {wait.attempt} of {wait.tries}), "
        f"blocked by {describe_blockers(wait.blockers)}; {_undone(wait)}, retrying in {wait.delay:.1f} s"
    )


def _undone(wait: LockWait) -> str:
    if wait.resumes_at_line is None:
        return "rolled back"
    return f"no transaction: the statement at line {wait.resumes_at_line} is tried again, any before it stay done"


def report_dropped_index(migration_id: str, index: str) -> None:
    output.warn(f"{migration_id}: dropped the INVALID index {index} its failed CREATE INDEX CONCURRENTLY left, before trying it again")


# A validated CHECK (column IS NOT NULL) lets SET NOT NULL skip its scan (PostgreSQL 12+).
_NOT_NULL_CHECKS_SQL = """
SELECT c.conrelid::regclass::text, pg_get_constraintdef(c.oid) FROM pg_constraint c
WHERE c.contype = 'c' AND c.convalidated AND pg_get_constraintdef(c.oid) LIKE '%IS NOT NULL%'
"""
_NOT_NULL_CHECK = re.compile(r'^CHECK \(\((?P<column>"(?:[^"]|"")+"|[^\s()"]+) IS NOT NULL\)\)$')


def _dry_run(config: Config, migrations: Sequence[Migration], url: str | None, as_json: bool) -> int:
    """What deploy would run, in order, with each statement's locks, rewrites, scans and hazards; nothing written.

    No advisory lock either: a dry run beside a running deploy must neither wait for it nor hold it up. So it
    reads the history as it is now (a deploy in progress may change it), in a read-only session whose
    lock_timeout keeps even its ACCESS SHARE read of the history table from queueing behind anything.
    """
    from teamigrate.lint.lock_levels import LockWalk

    unborn = _unborn_development_database(config) if url is None and not config.database_url else None
    if unborn is not None:
        # Nothing to read, and a dry run creates nothing: everything is pending, no NOT NULL is proven yet.
        walk = LockWalk(set())
        plans = [_planned(lock_policy(config), migration, walk) for migration in pending(migration_states(migrations, ()))]
        return _show(plans, f"{mask_url(unborn)} (not created yet)", as_json)
    with open_target(config, url) as target:
        conn = target.conn
        conn.execute("SET default_transaction_read_only = on")
        conn.execute("SET lock_timeout = '2s'")
        rows = target.table.rows()
        states = migration_states(migrations, rows)
        problem = blocking_problem(states, rows)
        if problem is not None:
            raise problem
        proven: set[tuple[str, str]] = set()
        for table, definition in conn.execute(_NOT_NULL_CHECKS_SQL).fetchall():
            match = _NOT_NULL_CHECK.match(definition)
            if match is not None:
                table_key = table.removeprefix("public.")
                column = match.group("column")
                proven.add((table_key, column[1:-1].replace('""', '"') if column.startswith('"') else column))
        todo = pending(states)
        walk = LockWalk(proven)  # in order: a check validated by one pending migration proves the next one's SET NOT NULL
        plans = [_planned(target.locks, migration, walk) for migration in todo]
        where = mask_url(target.url)
    return _show(plans, where, as_json)


def _unborn_development_database(config: Config) -> str | None:
    """The URL of the project's development database when it does not exist yet (deploy would create it); else None."""
    from teamigrate.server.shadow import ShadowServer
    from teamigrate.workspace.project import development_database_name

    server = ShadowServer.development(config)
    name = development_database_name(config)
    return None if server.database_exists(name) else server.database_url(name)


def _show(plans: list[dict[str, Any]], where: str, as_json: bool) -> int:
    if as_json:
        output.json_document({"database": where, "dry_run": True, "advisory_lock": False, "migrations": plans})
        return 0
    if not plans:
        output.line(f"nothing to deploy: no pending migration for {where} (dry run: nothing was written)")
        return 0
    output.line(f"would deploy {output.count(len(plans), 'migration')} to {where}, in this order (dry run: nothing was written, no lock taken):")
    for plan in plans:
        output.line(f"{plan['id']}  ({_settings(plan)})")
        for statement in plan["statements"]:
            output.line(f"  line {statement['line']}: {statement['kind'] or 'statement'}")
            for lock in statement["locks"]:
                new = ", created in this migration" if lock["new"] else ""
                output.line(f"    {lock['level']} on {lock['table']} ({lock['blocks']}{new})")
            if statement["rewrite"]:
                output.line("    rewrites the table")
            elif statement["scan"]:
                output.line("    reads every row while it holds the lock" if statement["locks"] and not _weak(statement) else "    reads every row (without blocking reads or writes)")
            for hazard in statement["hazards"]:
                output.line(f"    hazard: {hazard}")
    return 0


def _weak(statement: dict[str, Any]) -> bool:
    return all(lock["level"] in ("SHARE UPDATE EXCLUSIVE", "ROW EXCLUSIVE", "ROW SHARE", "ACCESS SHARE") for lock in statement["locks"])


def _settings(plan: dict[str, Any]) -> str:
    parts = ["one transaction" if plan["transactional"] else "no transaction: statement by statement"]
    if plan["lock_timeout"] is not None:
        parts.append(f"lock_timeout {show_duration(plan['lock_timeout'])}, {plan['retries']} retries")
    if plan["statement_timeout"] is not None:
        parts.append(f"statement_timeout {show_duration(plan['statement_timeout'])}")
    return "; ".join(parts)


def _planned(locks: LockPolicy, migration: Migration, walk: LockWalk) -> dict[str, Any]:
    policy = locks.for_migration(migration.directives)
    return {
        "id": migration.id,
        "transactional": migration.transactional,
        "lock_timeout": policy.lock_timeout,
        "statement_timeout": policy.statement_timeout,
        "retries": policy.retries,
        "statements": [_effect_document(effect) for effect in walk.migration(migration.sql)],
    }


def _effect_document(effect: StatementEffect) -> dict[str, Any]:
    return {
        "line": effect.line,
        "kind": effect.kind,
        "locks": [{"table": lock.table, "level": lock.level, "blocks": lock.blocks, "new": lock.new} for lock in effect.locks],
        "rewrite": effect.rewrite,
        "scan": effect.scan,
        "hazards": list(effect.hazards),
    }

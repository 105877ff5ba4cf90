"""Lint that agrees with deploy: squawk's findings weighed against the locks a statement takes and the timeouts deploy sets.

squawk reads one file and knows nothing of how it will run. teamigrate does:
- `deploy` (and dev, sync, reset, rollback) runs every migration under
  deploy.lock_timeout and, when set, deploy.statement_timeout (or a migration's
  own `-- teamigrate: lock-timeout` / `statement-timeout`), so squawk's
  require-lock-timeout / require-statement-timeout are satisfied by configuration;
  with the setting turned off (null) they fire again, on the first statement that
  needs them: one that takes a lock others queue behind (SHARE UPDATE EXCLUSIVE or
  stronger, lint/lock_levels.py) on a table that already exists, and, for the
  statement timeout, one that blocks writes (SHARE or stronger) while it rewrites
  or reads every row;
- a rule about how a change locks or scans a table does not fire when the table
  was created earlier in the same migration: it is empty and nobody else can see it yet.

A SET NOT NULL that a validated CHECK proves (in the same migration, or in one linted
before it in the same run, as `dev --online-safe` writes them) scans nothing: neither
squawk's adding-not-nullable-field nor a statement timeout is asked for.

Public API: `DeployTimeouts` (`.from_settings(lock_timeout, statement_timeout)`),
`weigh_by_locks(target, findings, timeouts, walk=None)` (one LockWalk across targets in id order).
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from teamigrate.history.migrations import Migration
from teamigrate.lint.diagnostics import Diagnostic
from teamigrate.lint.lock_levels import LEVELS, SHARE, SHARE_UPDATE_EXCLUSIVE, LockWalk, StatementEffect
from teamigrate.lint.target import LintTarget

LOCK_TIMEOUT_RULE = "squawk:require-lock-timeout"
STATEMENT_TIMEOUT_RULE = "squawk:require-statement-timeout"
NOT_NULL_RULE = "squawk:adding-not-nullable-field"
# squawk's rules about a statement's lock or scan on an existing table (not about what the table will hold).
NEW_TABLE_RULES = frozenset(
    "squawk:" + rule
    for rule in (
        "require-concurrent-index-creation", "adding-foreign-key-constraint", "constraint-missing-not-valid",
        "adding-field-with-default", "adding-serial-primary-key-field", "disallowed-unique-constraint",
        "changing-column-type", "adding-not-nullable-field", "adding-required-field", "ban-drop-column",
    )
)


@dataclass(frozen=True)
class DeployTimeouts:
    """Which timeouts deploy sets on every migration, from teamigrate.yaml's `deploy:`."""

    lock_timeout: bool = False
    statement_timeout: bool = False

    @classmethod
    def from_settings(cls, lock_timeout: float | None, statement_timeout: float | None) -> DeployTimeouts:
        return cls(lock_timeout is not None, statement_timeout is not None)


def _holds_at_least(effect: StatementEffect, level: str) -> bool:
    return any(not lock.new and LEVELS.index(lock.level) >= LEVELS.index(level) for lock in effect.locks)


def _needs(rule: str, effect: StatementEffect) -> bool:
    if rule == LOCK_TIMEOUT_RULE:
        return _holds_at_least(effect, SHARE_UPDATE_EXCLUSIVE)
    # A long scan under SHARE UPDATE EXCLUSIVE (VALIDATE CONSTRAINT, CREATE INDEX CONCURRENTLY) blocks no reads or
    # writes: cutting it short would only undo an online-safe step. One that holds SHARE or stronger blocks writes.
    return _holds_at_least(effect, SHARE) and (effect.rewrite or effect.scan)


def weigh_by_locks(target: LintTarget, findings: Sequence[Diagnostic], timeouts: DeployTimeouts, walk: LockWalk | None = None) -> list[Diagnostic]:
    relevant = {LOCK_TIMEOUT_RULE, STATEMENT_TIMEOUT_RULE} | NEW_TABLE_RULES
    # The walk must see every file that may add or validate a NOT NULL check, findings or not.
    if not any(f.rule in relevant for f in findings) and not ("NOT NULL" in target.sql.upper() or "VALIDATE" in target.sql.upper()):
        return list(findings)
    effects = (walk or LockWalk()).migration(target.sql)
    if not any(f.rule in relevant for f in findings):
        return list(findings)
    starts = [effect.line for effect in effects]
    directives = {d.split()[0].lower() for d in Migration("", target.sql).directives if d.split()}
    satisfied = {
        LOCK_TIMEOUT_RULE: timeouts.lock_timeout or "lock-timeout" in directives,
        STATEMENT_TIMEOUT_RULE: timeouts.statement_timeout or "statement-timeout" in directives,
    }
    kept: list[Diagnostic] = []
    for finding in findings:
        if finding.rule in satisfied:
            if satisfied[finding.rule]:
                continue
            # squawk names the file's first statement; teamigrate the first one that needs the timeout, if any does.
            first = next((e for e in effects if _needs(finding.rule, e)), None)
            if first is not None:
                kept.append(dataclasses.replace(finding, line=first.line, column=1))
            continue
        if finding.rule in NEW_TABLE_RULES:
            index = bisect.bisect_right(starts, finding.line) - 1
            effect = effects[index] if index >= 0 else None
            if effect is not None and effect.on_new_table:
                continue
            if effect is not None and finding.rule == NOT_NULL_RULE and effect.kind.endswith("SET NOT NULL") and not effect.scan:
                continue  # a validated check proves it: no scan
        kept.append(finding)
    return kept

"""What `changes` found comparing two branches: per side, each new migration's changes; the conflicts; whether the order matters.

Public API: `MigrationChanges`, `Side`, `Comparison` (`.as_json()`), `PairFailure`. Values only: commands/changes.py
builds them, and prints them as text or JSON; commands/pr_story.py words them for a pull request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from teamigrate.errors import TeamigrateError
from teamigrate.planners.conflicts import Conflict
from teamigrate.schema.diff import Change


@dataclass(frozen=True)
class MigrationChanges:
    id: str
    changes: tuple[Change, ...]
    # A squash whose replaced migrations are all in the history before it: deploy records it and runs nothing.
    replaces: tuple[str, ...] = ()
    recorded_only: bool = False


@dataclass(frozen=True)
class Side:
    ref: str
    migrations: tuple[MigrationChanges, ...]

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(change for migration in self.migrations for change in migration.changes)


@dataclass(frozen=True)
class Comparison:
    base_ref: str
    head_ref: str
    merge_base: str
    base: Side
    head: Side
    conflicts: tuple[Conflict, ...]
    same_in_either_order: bool | None  # None: nothing to order (one side added nothing)
    order_problem: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    common_newest: str | None = None  # the newest migration both sides have (at the merge base)

    def as_json(self) -> dict[str, Any]:
        def side(s: Side) -> dict[str, Any]:
            return {"ref": s.ref, "migrations": [_migration_json(m) for m in s.migrations]}

        return {
            "base": side(self.base), "head": side(self.head), "merge_base": self.merge_base,
            "conflicts": [c.__dict__ for c in self.conflicts],
            "same_in_either_order": self.same_in_either_order, "order_problem": self.order_problem,
        }


def _migration_json(migration: MigrationChanges) -> dict[str, Any]:
    found: dict[str, Any] = {"id": migration.id, "changes": [_change_json(c) for c in migration.changes]}
    if migration.replaces:
        found["replaces"] = list(migration.replaces)
        found["recorded_only"] = migration.recorded_only
    return found


def _change_json(change: Change) -> dict[str, Any]:
    return {"kind": change.kind, "action": change.action, "name": change.name, "table": change.table, "detail": change.detail}


@dataclass(frozen=True)
class PairFailure:
    """A pair that could not be compared, and why."""

    base_ref: str
    head_ref: str
    error: TeamigrateError

"""`changes`: what each side of two branches changed in the schema since their merge base, and where they collide.

Every change is computed by replaying migrations in the shadow and diffing the
states before and after each one, never by guessing from SQL text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from teamigrate import output
from teamigrate.config import Config
from teamigrate.errors import MigrationError, TeamigrateError
from teamigrate.git import GitRepository
from teamigrate.history.migrations import Migration, migrations_from_files
from teamigrate.planners.conflicts import Conflict, find_conflicts
from teamigrate.schema.diff import Change, diff_schemas
from teamigrate.schema.model import Schema
from teamigrate.workspace.schemas import Workspace

# Kinds whose collisions are worth a conflict; comments and grants are not.

@dataclass(frozen=True)
class MigrationChanges:
    id: str
    changes: tuple[Change, ...]


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

    def as_json(self) -> dict[str, Any]:
        def side(s: Side) -> dict[str, Any]:
            return {"ref": s.ref, "migrations": [
                {"id": m.id, "changes": [_change_json(c) for c in m.changes]} for m in s.migrations]}

        return {
            "base": side(self.base), "head": side(self.head), "merge_base": self.merge_base,
            "conflicts": [c.__dict__ for c in self.conflicts],
            "same_in_either_order": self.same_in_either_order, "order_problem": self.order_problem,
        }


def _change_json(change: Change) -> dict[str, Any]:
    return {"kind": change.kind, "action": change.action, "name": change.name, "table": change.table, "detail": change.detail}


class BranchComparer:
    """Replays both sides of a pair of refs in the shadow (through the replay cache) and compares them."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.repository = GitRepository(config.root)
        self.workspace = Workspace.for_config(config)
        self._states: dict[tuple[str, ...], Schema] = {}

    def compare(self, base_ref: str, head_ref: str) -> Comparison:
        for ref in (base_ref, head_ref):
            if self.repository.resolve(ref) is None:
                raise TeamigrateError("TM304", f"git ref `{ref}` names no commit", "check the branch name (git branch -a)")
        merge_base = self.repository.merge_base(base_ref, head_ref)
        if merge_base is None:
            raise TeamigrateError("TM540", f"{base_ref} and {head_ref} share no history", "compare branches of the same repository")
        common = self._migrations_at(merge_base)
        base_all, head_all = self._migrations_at(base_ref), self._migrations_at(head_ref)
        common_ids = {m.id for m in common}
        base_new = [m for m in base_all if m.id not in common_ids]
        head_new = [m for m in head_all if m.id not in common_ids]
        base_side = Side(base_ref, self._per_migration(common, base_new))
        head_side = Side(head_ref, self._per_migration(common, head_new))
        conflicts = find_conflicts(base_side.changes, head_side.changes, base_ref, head_ref)
        same, problem = (None, None)
        if base_new and head_new:
            same, problem = self._commutes(common, base_new, head_new)
        return Comparison(base_ref, head_ref, merge_base, base_side, head_side, tuple(conflicts), same, problem)

    def _migrations_at(self, ref: str) -> list[Migration]:
        relative = self.repository.relative(self.config.migrations)
        try:
            return list(migrations_from_files(self.repository.read_folder(ref, relative), where=f"{ref}:{relative}"))
        except MigrationError as err:
            raise TeamigrateError(err.code, f"at {ref}: {err.message}", err.hint) from None

    def _state(self, migrations: Sequence[Migration]) -> Schema:
        key = tuple(f"{m.id}:{m.checksum}" for m in migrations)
        if key not in self._states:
            self._states[key] = self.workspace.of_history(migrations)
        return self._states[key]

    def _per_migration(self, common: list[Migration], added: list[Migration]) -> tuple[MigrationChanges, ...]:
        result = []
        before = self._state(common)
        for index, migration in enumerate(added):
            after = self._state([*common, *added[: index + 1]])
            result.append(MigrationChanges(migration.id, tuple(diff_schemas(before, after).changes)))
            before = after
        return tuple(result)

    def _commutes(self, common: list[Migration], base_new: list[Migration], head_new: list[Migration]) -> tuple[bool | None, str | None]:
        states = []
        for first, second in ((base_new, head_new), (head_new, base_new)):
            try:
                states.append(self._state([*common, *first, *second]))
            except MigrationError as err:
                return False, f"replaying {second[0].id} after {first[-1].id} fails: {err.message}"
        return diff_schemas(states[0], states[1]).is_empty, None


def branch_pairs(repository: GitRepository, main_branch: str) -> list[tuple[str, str]]:
    """Every local and remote-tracking branch against main, then every pair of them."""
    listing = repository.run("for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes")
    branches = sorted({name for name in listing.splitlines() if name and not name.endswith("/HEAD") and name != main_branch
                       and name != f"origin/{main_branch}"})
    pairs = [(main_branch, name) for name in branches]
    pairs += [(a, b) for index, a in enumerate(branches) for b in branches[index + 1:]]
    return pairs


def run_changes(config: Config, base: str | None, head: str | None, all_branches: bool) -> list[Comparison]:
    comparer = BranchComparer(config)
    if all_branches:
        return [comparer.compare(a, b) for a, b in branch_pairs(comparer.repository, config.main_branch)]
    return [comparer.compare(base or config.main_branch, head or "HEAD")]


def render_comparison(comparison: Comparison) -> list[str]:
    lines = [f"{comparison.base_ref} ↔ {comparison.head_ref} (merge base {comparison.merge_base[:10]})"]
    for side in (comparison.base, comparison.head):
        count = len(side.migrations)
        lines.append(f"  {side.ref}: {count} migration{'s' if count != 1 else ''} since the merge base")
        for migration in side.migrations:
            lines.append(f"    {migration.id}")
            for change in migration.changes:
                lines.append(f"      {change.action} {change.kind} {change.name}" + (f": {change.detail}" if change.detail else ""))
    if comparison.conflicts:
        lines.append("  conflicts:")
        for conflict in comparison.conflicts:
            lines.append(f"    {conflict.kind}: {conflict.object} ({conflict.detail})")
    else:
        lines.append("  no conflicting objects")
    if comparison.order_problem:
        lines.append(f"  order: {comparison.order_problem}")
    elif comparison.same_in_either_order is True:
        lines.append("  order: both sides give the same schema in either order")
    elif comparison.same_in_either_order is False:
        lines.append("  order: the two sides give DIFFERENT schemas depending on order")
    return lines


def changes(config: Config, base: str | None, head: str | None, all_branches: bool, *, as_json: bool = False, exit_code: bool = False) -> int:
    comparisons = run_changes(config, base, head, all_branches)
    if as_json:
        output.json_document([comparison.as_json() for comparison in comparisons])
    else:
        for comparison in comparisons:
            for text in render_comparison(comparison):
                output.line(text)
    conflicted = any(c.conflicts or c.same_in_either_order is False for c in comparisons)
    return 2 if exit_code and conflicted else 0

"""`changes`: what each side of two branches changed in the schema since their merge base, and where they collide.

Every change is computed by replaying migrations in the shadow and diffing the
states before and after each one, never by guessing from SQL text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from teamigrate import output
from teamigrate.config import Config
from teamigrate.errors import MigrationError, TeamigrateError
from teamigrate.git import GitRepository
from teamigrate.history.migrations import Migration, migrations_from_files
from teamigrate.commands.comparison import Comparison, MigrationChanges, PairFailure, Side
from teamigrate.commands.main_branch import REMOTE, find_main
from teamigrate.planners.conflicts import Conflict, find_conflicts
from teamigrate.planners.pairs import Branch, branch_pairs, pairs_with
from teamigrate.planners.squash import deploy_sequence
from teamigrate.schema.diff import Change, diff_schemas
from teamigrate.schema.model import Schema
from teamigrate.workspace.schemas import Workspace

if TYPE_CHECKING:
    from teamigrate.lint.lock_levels import LockWalk

class BranchComparer:
    """Replays both sides of a pair of refs in the shadow (through the replay cache) and compares them."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.repository = GitRepository(config.root)
        self.workspace = Workspace.for_config(config)
        self._states: dict[tuple[str, ...], Schema] = {}
        self.seen: dict[str, Migration] = {}  # every migration read, by id (for their hazards)

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
        return Comparison(base_ref, head_ref, merge_base, base_side, head_side, tuple(conflicts), same, problem,
                          common_newest=common[-1].id if common else None)

    def _migrations_at(self, ref: str) -> list[Migration]:
        relative = self.repository.relative(self.config.migrations)
        try:
            found = list(migrations_from_files(self.repository.read_folder(ref, relative), where=f"{ref}:{relative}"))
        except MigrationError as err:
            raise TeamigrateError(err.code, f"at {ref}: {err.message}", err.hint) from None
        self.seen.update((m.id, m) for m in found)
        return found

    def _state(self, migrations: Sequence[Migration]) -> Schema:
        # Replayed as deploy runs it on a database at the merge base: a squash that follows
        # the migrations it replaces is recorded, not run (its SQL would create their objects again).
        sequence = deploy_sequence(migrations)
        key = tuple(f"{m.id}:{m.checksum}" for m in sequence)
        if key not in self._states:
            self._states[key] = self.workspace.of_history(sequence)
        return self._states[key]

    def _per_migration(self, common: list[Migration], added: list[Migration]) -> tuple[MigrationChanges, ...]:
        result = []
        before = self._state(common)
        for index, migration in enumerate(added):
            history = [*common, *added[: index + 1]]
            after = self._state(history)
            ran = migration in deploy_sequence(history)
            result.append(MigrationChanges(migration.id, tuple(diff_schemas(before, after).changes), migration.replaces, not ran))
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


def pairs_to_compare(repository: GitRepository, main_branch: str, head: str | None = None) -> list[tuple[str, str]]:
    """The main branch (origin/<main> when the local one is behind) against every branch that may still bring migrations, then each pair of them.

    With `head` (a pull request's branch): main against it, then it against each of the others.
    """
    main, _ = find_main(repository, main_branch)
    if main.ref is None:
        raise TeamigrateError("TM504", f"main_branch `{main_branch}` names no branch here (nor {REMOTE}/{main_branch})",
                              "fetch it, or set main_branch in teamigrate.yaml")
    branches = [Branch(name, commit, remote, upstream) for name, commit, remote, upstream in repository.branches()]
    merged = {name for name, *_ in repository.branches(merged_into=main.ref)}
    if head is not None:
        commit = repository.resolve(head)
        if commit is None:
            raise TeamigrateError("TM304", f"git ref `{head}` names no commit", "check the branch name (git branch -a)")
        return pairs_with(head, commit, branches, main.ref, main.other_names, merged)
    return branch_pairs(branches, main.ref, main.other_names, merged)


def run_changes(config: Config, base: str | None, head: str | None, all_branches: bool,
                comparer: BranchComparer | None = None) -> tuple[list[Comparison], list[PairFailure]]:
    comparer = comparer or BranchComparer(config)
    if not all_branches:
        if base is None:
            main, _ = find_main(comparer.repository, config.main_branch)
            base = main.ref or config.main_branch
        return [comparer.compare(base, head or "HEAD")], []
    comparisons, failures = [], []
    for a, b in pairs_to_compare(comparer.repository, config.main_branch, head):
        # One pair that cannot be compared (a migration that does not replay) must not hide the others.
        try:
            comparisons.append(comparer.compare(a, b))
        except TeamigrateError as err:
            failures.append(PairFailure(a, b, err))
    return comparisons, failures


def render_comparison(comparison: Comparison) -> list[str]:
    lines = [f"{comparison.base_ref} ↔ {comparison.head_ref} (merge base {comparison.merge_base[:10]})"]
    for side in (comparison.base, comparison.head):
        count = len(side.migrations)
        lines.append(f"  {side.ref}: {count} migration{'s' if count != 1 else ''} since the merge base")
        for migration in side.migrations:
            if migration.recorded_only:
                lines.append(f"    {migration.id} (squash of {output.count(len(migration.replaces), 'migration')} already in the history: recorded, not run)")
            else:
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


def changes(config: Config, base: str | None, head: str | None, all_branches: bool, *, as_json: bool = False, exit_code: bool = False,
            format: str = "text") -> int:
    comparer = BranchComparer(config)
    comparisons, failures = run_changes(config, base, head, all_branches, comparer)
    if as_json or format == "json":
        output.json_document([comparison.as_json() for comparison in comparisons])
    elif format == "markdown":
        from teamigrate.commands.pr_story import render_markdown

        branches = [[comparer.seen[m.id] for m in c.head.migrations if not m.recorded_only] for c in comparisons]
        output.raw(render_markdown(comparisons, failures, migration_hazards(config, branches)))
    else:
        for comparison in comparisons:
            for text in render_comparison(comparison):
                output.line(text)
    for failure in failures:
        err = failure.error
        output.error(TeamigrateError(err.code, f"{failure.base_ref} ↔ {failure.head_ref} cannot be compared: {err.message}", err.hint))
    if failures:
        return 1
    conflicted = any(c.conflicts or c.same_in_either_order is False for c in comparisons)
    return 2 if exit_code and conflicted else 0


# Warnings every migration gets that say nothing about this one (deploy sets lock_timeout itself).
ROUTINE_RULES = frozenset({"require-lock-timeout", "require-statement-timeout"})


def migration_hazards(config: Config, branches: Sequence[Sequence[Migration]]) -> dict[str, list[str]]:
    """What deploying each migration risks, worded for a reader, by migration id: the table locks its
    statements take (as `deploy --dry-run` shows them: each branch's migrations walked in order), then lint's errors and warnings."""
    from teamigrate.lint.linter import lint_migrations
    from teamigrate.lint.lock_levels import LockWalk

    found: dict[str, list[str]] = {}
    for branch in branches:
        walk = LockWalk()  # a NOT NULL check one migration validates proves the next one's SET NOT NULL
        for migration in branch:
            found[migration.id] = lock_hazards(walk, migration)
    migrations = list({m.id: m for branch in branches for m in branch}.values())
    if not migrations:
        return {}
    try:
        diagnostics = lint_migrations(config, migrations)
    except TeamigrateError as err:
        output.warn(f"lint hazards are not shown: {err.message}")
        diagnostics = []
    for d in sorted(diagnostics, key=lambda d: (d.path.parent.name, d.line, d.column, d.rule)):
        if d.level in ("error", "warning") and d.rule_name not in ROUTINE_RULES:
            found.setdefault(d.path.parent.name, []).append(f"{d.level} `{d.rule_name}` (line {d.line}): {d.message}")
    return {migration_id: items for migration_id, items in found.items() if items}


def lock_hazards(walk: LockWalk, migration: Migration) -> list[str]:
    """Each statement that holds up other sessions on a table that exists already: its lock, and a rewrite or scan under it."""
    from teamigrate.lint.lock_levels import LEVELS, SHARE_UPDATE_EXCLUSIVE

    found = []
    for effect in walk.migration(migration.sql):
        locks = [lock for lock in effect.locks if not lock.new and LEVELS.index(lock.level) >= LEVELS.index(SHARE_UPDATE_EXCLUSIVE)]
        for lock in locks:
            under = " while the table is rewritten" if effect.rewrite else " while every row is read" if effect.scan else ""
            found.append(f"line {effect.line}: {effect.kind} takes {lock.level} on `{lock.table}` ({lock.blocks}){under}")
    return found

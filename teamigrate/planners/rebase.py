"""Pure planning of `rebase`: which of this branch's migrations keep their ids and which move after the other side's."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from teamigrate.history.migrations import migration_name, new_migration_id


@dataclass(frozen=True)
class Rename:
    old_id: str
    new_id: str


@dataclass(frozen=True)
class RebasePlan:
    renames: tuple[Rename, ...]
    # The whole history after the renames, in order.
    result_ids: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.renames


def branch_migrations(ours_ids: Iterable[str], theirs_ids: Iterable[str], base_ids: Iterable[str]) -> list[str]:
    """This branch's new migrations: here, and neither on the other side nor at the merge base."""
    shared = set(theirs_ids) | set(base_ids)
    return sorted(set(ours_ids) - shared)


def plan_rebase(ours_ids: Iterable[str], theirs_ids: Iterable[str], base_ids: Iterable[str], now: datetime) -> RebasePlan:
    ours = set(ours_ids)
    theirs = set(theirs_ids)
    new = branch_migrations(ours, theirs, base_ids)
    kept = sorted((ours | theirs) - set(new))
    renames: list[Rename] = []
    # Walk this branch's migrations in order after the other side's newest one:
    # each that still sorts after its predecessor keeps its id, the first that
    # does not (and, since `now` is late, every one after it) gets a fresh one.
    cursor = max(kept, default=None)
    for migration_id in new:
        if cursor is None or migration_id > cursor:
            cursor = migration_id
            continue
        new_id = new_migration_id(migration_name(migration_id), now, [cursor])
        renames.append(Rename(migration_id, new_id))
        cursor = new_id
    renamed = {rename.old_id: rename.new_id for rename in renames}
    result = sorted([*kept, *(renamed.get(i, i) for i in new)])
    return RebasePlan(renames=tuple(renames), result_ids=tuple(result))

"""Pure planning of `rebase`: the migrations already on main keep their ids, the others move after them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from teamigrate.history.migrations import migration_name, new_migration_id
from teamigrate.planners.mainline import MainLine


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


def plan_rebase(history_ids: Iterable[str], line: MainLine, now: datetime) -> RebasePlan:
    """Migrations on main keep their ids; the new ones move after main's newest, in their order.

    A squash of main's migrations is not new (it sits where its range sat), and one
    that replaces migrations on main among others stays put too: moved, it would
    run after migrations that need what its range created.
    """
    ids = sorted(set(history_ids))
    unmovable = set(line.partial_squashes)
    renames: list[Rename] = []
    # Walk the new migrations in order after main's newest one: each that still
    # sorts after its predecessor keeps its id, the first that does not (and,
    # since `now` is late, every one after it) gets a fresh one.
    cursor = line.newest_on_main
    for migration_id in line.new:
        if migration_id in unmovable:
            continue
        if cursor is None or migration_id > cursor:
            cursor = migration_id
            continue
        new_id = new_migration_id(migration_name(migration_id), now, [cursor])
        renames.append(Rename(migration_id, new_id))
        cursor = new_id
    renamed = {rename.old_id: rename.new_id for rename in renames}
    return RebasePlan(renames=tuple(renames), result_ids=tuple(sorted(renamed.get(i, i) for i in ids)))

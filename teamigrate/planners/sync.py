"""Pure planning of `sync`: which migrations run, which are undone, which are recognised under a new id or behind a squash."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from teamigrate.planners.rebase import Rename

from teamigrate.history.migrations import migration_name


@dataclass(frozen=True)
class AppliedMigration:
    """A row of the history table: what ran, with the down SQL it stored."""

    id: str
    checksum: str
    down_sql: str | None = None
    replaces: tuple[str, ...] = ()  # a squash: the migrations it stands for


@dataclass(frozen=True)
class CheckedOutMigration:
    id: str
    checksum: str


@dataclass(frozen=True)
class SyncPlan:
    renames: tuple[Rename, ...] = ()
    # Newest first, each undone with the down SQL stored in the history table.
    rollbacks: tuple[str, ...] = ()
    # Applied rows absent from the checkout that stored no down SQL: sync cannot undo them.
    irreversible: tuple[str, ...] = ()
    # In order.
    applies: tuple[str, ...] = ()
    # Pending migrations that sort before one that stays applied: the executor
    # applies them as they are only when the shadow shows the same schema as
    # the replayed history, else it takes `reordered()`.
    out_of_order: tuple[str, ...] = ()
    # Applied under the same id but with another checksum: edited since.
    modified: tuple[str, ...] = ()
    # What stays applied, in order, after renames and rollbacks.
    kept: tuple[str, ...] = ()
    # Every applied migration (after renames) whose row stored no down SQL.
    without_down: frozenset[str] = frozenset()
    # Applied squashes absent from the checkout, which holds the migrations they replace
    # (a branch from before the squash): the same objects under the old names. Their
    # rows are closed and nothing is rolled back: their down SQL would drop what the
    # old migrations made.
    unsquashed: tuple[str, ...] = ()
    # Those old migrations, recorded as applied without running (a database built from the squash has no rows for them).
    recorded: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.renames or self.rollbacks or self.irreversible or self.applies or self.unsquashed or self.recorded)

    def reordered(self) -> SyncPlan:
        """The fallback for out-of-order pending migrations: undo the later applied ones and re-apply all in order."""
        if not self.out_of_order:
            return self
        first = min(self.out_of_order)
        later = [i for i in self.kept if i > first]
        undo = sorted(later, reverse=True)
        return SyncPlan(
            renames=self.renames,
            rollbacks=(*self.rollbacks, *undo),
            irreversible=(*self.irreversible, *(i for i in undo if i in self.without_down)),
            applies=tuple(sorted({*self.applies, *later})),
            out_of_order=(),
            modified=self.modified,
            kept=tuple(i for i in self.kept if i not in later),
            without_down=self.without_down,
            unsquashed=self.unsquashed,
            recorded=self.recorded,
        )


def plan_sync(applied: Sequence[AppliedMigration], checked_out: Sequence[CheckedOutMigration]) -> SyncPlan:
    checkout = {m.id: m for m in checked_out}
    rows = {row.id: row for row in applied}

    # A row whose id is gone but whose checksum is on a migration not applied
    # under its own id is the same migration, rebased to a new id.
    unclaimed: dict[str, list[str]] = {}
    for migration in sorted(checked_out, key=lambda m: m.id):
        if migration.id not in rows:
            unclaimed.setdefault(migration.checksum, []).append(migration.id)
    renames: list[Rename] = []
    for row in sorted(applied, key=lambda r: r.id):
        if row.id in checkout:
            continue
        candidates = unclaimed.get(row.checksum)
        if candidates:
            # Identical SQL under two names is possible; a rebase keeps the name.
            same_name = [i for i in candidates if migration_name(i) == migration_name(row.id)]
            chosen = (same_name or candidates)[0]
            candidates.remove(chosen)
            renames.append(Rename(row.id, chosen))

    renamed = {rename.old_id: rename.new_id for rename in renames}
    current = {renamed.get(row.id, row.id): row for row in applied}
    unsquashed = sorted(i for i, row in current.items() if i not in checkout and row.replaces and all(old in checkout for old in row.replaces))
    recorded = sorted({old for i in unsquashed for old in current[i].replaces if old not in current})
    absent = sorted((i for i in current if i not in checkout and i not in unsquashed), reverse=True)
    kept = sorted({*(i for i in current if i in checkout), *recorded})
    pending = sorted(i for i in checkout if i not in current and i not in recorded)
    newest_kept = kept[-1] if kept else None
    return SyncPlan(
        renames=tuple(renames),
        rollbacks=tuple(absent),
        irreversible=tuple(i for i in absent if current[i].down_sql is None),
        applies=tuple(pending),
        out_of_order=tuple(i for i in pending if newest_kept is not None and i < newest_kept),
        modified=tuple(i for i in kept if i in current and current[i].checksum != checkout[i].checksum),
        kept=tuple(kept),
        without_down=frozenset(i for i, row in current.items() if row.down_sql is None),
        unsquashed=tuple(unsquashed),
        recorded=tuple(recorded),
    )

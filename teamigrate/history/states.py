"""Pure planning: the state of every migration, from the checked-out folders and the history rows.

Public API: `MigrationState`, `migration_states(migrations, rows)`,
`blocking_problem(states)` (why deploy must not start, or None),
`pending(states)`. States: applied, pending, failed, modified (applied, file
changed since), missing (applied in the database, absent from this checkout).
A 'started' row (an interrupted no-transaction migration) counts as failed.
A migration whose `replaces` are all applied counts as applied (squash).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from teamigrate.errors import MigrationError
from teamigrate.history.migrations import Migration
from teamigrate.history.rows import HistoryRow

APPLIED, PENDING, FAILED, MODIFIED, MISSING = "applied", "pending", "failed", "modified", "missing"


@dataclass(frozen=True)
class MigrationState:
    id: str
    state: str
    checksum: str  # of the file when it is checked out, else as recorded
    applied_at: datetime | None
    migration: Migration | None
    row: HistoryRow | None

    @property
    def interrupted(self) -> bool:
        return self.row is not None and self.row.state == "started"


def migration_states(migrations: Sequence[Migration], rows: Sequence[HistoryRow]) -> tuple[MigrationState, ...]:
    by_id = {row.id: row for row in rows}
    checked_out = {m.id: m for m in migrations}
    replaced = {old for m in migrations for old in m.replaces}
    states: list[MigrationState] = []
    for migration_id in sorted(checked_out.keys() | by_id.keys()):
        migration, row = checked_out.get(migration_id), by_id.get(migration_id)
        if migration is None:
            assert row is not None
            if row.state == "rolled_back" or (row.state == "applied" and migration_id in replaced):
                continue
            state = MISSING if row.state == "applied" else FAILED
            states.append(MigrationState(migration_id, state, row.checksum, _applied_at(row), None, row))
            continue
        if row is None or row.state == "rolled_back":
            replaced_rows = [by_id.get(old) for old in migration.replaces]
            if replaced_rows and all(r is not None and r.state == "applied" for r in replaced_rows):
                latest = max((r.finished_at for r in replaced_rows if r is not None and r.finished_at), default=None)
                states.append(MigrationState(migration_id, APPLIED, migration.checksum, latest, migration, None))
            else:
                states.append(MigrationState(migration_id, PENDING, migration.checksum, None, migration, row))
        elif row.state in ("failed", "started"):
            states.append(MigrationState(migration_id, FAILED, migration.checksum, None, migration, row))
        else:
            state = APPLIED if row.checksum == migration.checksum else MODIFIED
            states.append(MigrationState(migration_id, state, migration.checksum, _applied_at(row), migration, row))
    return tuple(states)


def _applied_at(row: HistoryRow) -> datetime | None:
    return row.finished_at if row.state == "applied" else None


def pending(states: Sequence[MigrationState]) -> tuple[Migration, ...]:
    return tuple(s.migration for s in states if s.state == PENDING and s.migration is not None)


def unrecorded_replacements(states: Sequence[MigrationState]) -> tuple[Migration, ...]:
    """Squashed migrations that count as applied through the ones they replace but have no row of their own."""
    return tuple(s.migration for s in states if s.state == APPLIED and s.row is None and s.migration is not None)


def blocking_problem(states: Sequence[MigrationState], rows: Sequence[HistoryRow] = ()) -> MigrationError | None:
    """Why a deploy must not start: a failed or interrupted migration, a half-applied squash, an edited one."""
    for s in states:
        if s.state == FAILED:
            what = "was interrupted (its no-transaction statements started and never finished)" if s.interrupted else "failed"
            where = f" at line {s.row.error_line}" if s.row and s.row.error_line else ""
            error = f": {s.row.error}" if s.row and s.row.error else ""
            return MigrationError(
                "TM214",
                f"migration {s.id} {what}{where}{error}; deploy will not continue past it",
                f"fix the migration (and undo what of it ran, if anything), then run `teamigrate resolve --rolled-back {s.id}` to retry it, or `teamigrate resolve --applied {s.id}` if you applied it by hand",
                migration_id=s.id,
            )
    squash = partial_squash([s.migration for s in states if s.migration is not None], rows)
    if squash is not None:
        return squash
    for s in states:
        if s.state == MODIFIED:
            return MigrationError(
                "TM215",
                f"migration {s.id} was applied, and its migration.sql has been edited since",
                f"restore the file as it was applied (git checkout it); or, if the edit is intended and already in the database, run `teamigrate hash` and `teamigrate resolve --applied {s.id}`",
                migration_id=s.id,
            )
    return None


def partial_squash(migrations: Sequence[Migration], rows: Sequence[HistoryRow]) -> MigrationError | None:
    """A squash whose range the database applied only in part: neither running it nor skipping it is right."""
    applied = {row.id for row in rows if row.state == "applied"}
    recorded = {row.id for row in rows if row.state != "rolled_back"}
    for migration in migrations:
        if not migration.replaces or migration.id in recorded:
            continue
        done = [old for old in migration.replaces if old in applied]
        if done and len(done) < len(migration.replaces):
            return MigrationError(
                "TM417",
                f"{migration.id} replaces {len(migration.replaces)} migrations, and the database applied only {len(done)} of them (the last: {done[-1]})",
                "check out the commit before the squash and run `teamigrate deploy` to finish the range, then come back; or rebuild the database with `teamigrate reset`",
                migration_id=migration.id,
            )
    return None

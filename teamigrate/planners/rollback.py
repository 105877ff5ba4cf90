"""Pure planning of `rollback`: which applied migrations to undo, newest first, and with which down SQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from teamigrate.errors import MigrationError, TeamigrateError
from teamigrate.history.migrations import DOWN_FILE, Migration
from teamigrate.history.rows import HistoryRow


@dataclass(frozen=True)
class Undo:
    migration_id: str
    down_sql: str
    source: str  # where the down SQL comes from, for the report
    replaces: tuple[str, ...] = ()  # a squash: the rows it stands for are rolled back with it


def plan_rollback(rows: Sequence[HistoryRow], checked_out: Mapping[str, Migration], *, steps: int | None = None, to: str | None = None) -> list[Undo]:
    """What to undo, newest first; refuses before anything runs when any of them has no down SQL."""
    applied_rows = {row.id: row for row in rows if row.state == "applied"}
    # A squash stands for the migrations it replaces: one step, undone with its own down SQL,
    # placed where the newest of them was.
    squashes = {m.id: m for m in checked_out.values() if m.replaces and all(old in applied_rows for old in m.replaces)}
    replaced = {old for squash in squashes.values() for old in squash.replaces}
    units = {row.id: row for row in applied_rows.values() if row.id not in replaced}
    for squash in squashes.values():
        # Not recorded yet (no deploy since the squash): it is undone with its own down.sql.
        units.setdefault(squash.id, replace(applied_rows[squash.replaces[-1]], id=squash.id, down_sql=None))
    position = {unit: max((unit, *squashes[unit].replaces)) if unit in squashes else unit for unit in units}
    applied = sorted(units.values(), key=lambda row: position[row.id], reverse=True)
    if to is not None:
        ids = [row.id for row in applied]
        if to not in ids:
            raise TeamigrateError("TM413", f"--to {to} is not an applied migration", "`teamigrate status` lists the applied ones; --to names the one that stays applied")
        chosen = applied[: ids.index(to)]
    else:
        assert steps is not None
        if steps > len(applied):
            raise TeamigrateError("TM413", f"--steps {steps} asks for more than the {len(applied)} applied migration{'s' if len(applied) != 1 else ''}", f"use --steps {len(applied)} or fewer (`teamigrate status` lists them)" if applied else "nothing is applied; `teamigrate status` shows every state")
        chosen = applied[:steps]
    plan = []
    for row in chosen:
        undo = _undo(row, checked_out.get(row.id), squashes[row.id].replaces if row.id in squashes else ())
        if undo is None:
            raise MigrationError(
                "TM222",
                f"migration {row.id} has no down SQL (none recorded when it was applied, no {DOWN_FILE} in its folder); nothing was rolled back",
                f"write migrations/{row.id}/{DOWN_FILE}, then run the rollback again",
                migration_id=row.id,
            )
        plan.append(undo)
    return plan


def _undo(row: HistoryRow, migration: Migration | None, replaces: tuple[str, ...]) -> Undo | None:
    if row.down_sql and row.down_sql.strip():
        return Undo(row.id, row.down_sql, "the down SQL recorded when it was applied", replaces)
    if migration is not None and migration.down_sql and migration.down_sql.strip():
        return Undo(row.id, migration.down_sql, f"{row.id}/{DOWN_FILE}", replaces)
    return None

"""`teamigrate status`: every migration's state in the target database, for people or as JSON."""

from __future__ import annotations

from typing import Any

from teamigrate import output
from teamigrate.config import Config
from teamigrate.database import mask_url
from teamigrate.errors import MigrationError
from teamigrate.workspace.project import checked_out_migrations, migration_directory, open_target
from teamigrate.history.states import FAILED, PENDING, MigrationState, migration_states
from teamigrate.history.sumfile import verify


def status(config: Config, as_json: bool = False, url: str | None = None) -> int:
    migrations = checked_out_migrations(config, verify_sum=False)
    directory = migration_directory(config)
    sum_problem: MigrationError | None = None
    try:
        verify(migrations, directory.read_sum_text(), f"{directory.label}/{directory.sum_path.name}")
    except MigrationError as problem:
        sum_problem = problem
    with open_target(config, url) as target:
        # Reading never creates the history table.
        states = migration_states(migrations, target.table.rows())
        database = mask_url(target.url)
    if as_json:
        output.json_document(_document(states, database, config.history_table, sum_problem))
    else:
        _show(states, database, sum_problem)
    return 0


def _document(states: tuple[MigrationState, ...], database: str, history_table: str, sum_problem: MigrationError | None) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for s in states:
        counts[s.state] = counts.get(s.state, 0) + 1
    return {
        "migrations": [
            {
                "id": s.id,
                "state": s.state,
                "checksum": s.checksum,
                "applied_at": s.applied_at.isoformat() if s.applied_at else None,
                **({"error": s.row.error, "error_line": s.row.error_line} if s.state == FAILED and s.row else {}),
            }
            for s in states
        ],
        "database": database,
        "history_table": history_table,
        "pending": counts.get(PENDING, 0),
        "counts": counts,
        "sum": {"ok": sum_problem is None, "code": sum_problem.code if sum_problem else None, "message": sum_problem.message if sum_problem else None},
    }


def _show(states: tuple[MigrationState, ...], database: str, sum_problem: MigrationError | None) -> None:
    output.line(f"database: {database}")
    if not states:
        output.line("no migrations")
    else:
        output.table(
            ("migration", "state", "applied at"),
            ((s.id, s.state, s.applied_at.strftime("%Y-%m-%d %H:%M:%S %Z") if s.applied_at else "") for s in states),
        )
    waiting = sum(1 for s in states if s.state == PENDING)
    output.line(f"{output.count(len(states), 'migration')}, {waiting} pending")
    for s in states:
        if s.state == FAILED and s.row is not None:
            line = f" at line {s.row.error_line}" if s.row.error_line else ""
            output.warn(f"{s.id} failed{line}: {s.row.error or 'interrupted'} (teamigrate resolve --rolled-back {s.id} after fixing it)")
    if sum_problem is not None:
        output.warn(f"{sum_problem.message} ({sum_problem.hint})")

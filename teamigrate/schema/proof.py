"""Proof by replay: a plan is handed out only after it turned a copy of its source into its target."""

from __future__ import annotations

import psycopg

from teamigrate.database import connect
from teamigrate.errors import TeamigrateError
from teamigrate.schema.diff import Plan, diff_schemas
from teamigrate.schema.model import Schema
from teamigrate.schema.sources import SchemaWorkspace


def prove_plan(workspace: SchemaWorkspace, source_url: str, plan: Plan, target: Schema, *, include_grants: bool = False) -> None:
    """Apply `plan` to a scratch copy of `source_url`; the result must diff to nothing against `target`."""
    if plan.is_empty:
        return
    with workspace.copy_of(source_url) as copy:
        with connect(copy) as conn:
            for number, statement in enumerate(plan.statements, start=1):
                try:
                    conn.execute(statement.sql.encode())
                except psycopg.Error as exc:
                    message = (exc.diag.message_primary or str(exc)).strip()
                    raise TeamigrateError(
                        "TM310",
                        f"the generated SQL fails at statement {number} ({_first_line(statement.sql)}): {message}",
                        "a change PostgreSQL cannot make without your help (a type change with no cast needs USING ...): write it by hand with `teamigrate new --empty`; if it should have worked, report it (--no-verify shows the SQL)",
                    ) from None
        residual = diff_schemas(workspace.introspect(copy), target, include_grants=include_grants)
    if not residual.is_empty:
        names = ", ".join(sorted({f"{change.kind} {change.name}" for change in residual.changes}))
        raise TeamigrateError(
            "TM311",
            f"the generated SQL does not reach the target schema; still different: {names}",
            "this is a teamigrate bug: write this change by hand (`teamigrate new --empty`) and report it; --no-verify shows the SQL",
        )


def _first_line(sql: str) -> str:
    line = sql.strip().splitlines()[0] if sql.strip() else ""
    return line if len(line) <= 80 else line[:77] + "..."

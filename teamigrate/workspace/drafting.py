"""Forward and reverse SQL between two databases' schemas, each proven by replay before anyone sees it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from teamigrate.schema.diff import diff_schemas
from teamigrate.schema.model import Schema
from teamigrate.schema.plan import Plan
from teamigrate.workspace.proof import prove_plan
from teamigrate.workspace.schemas import Workspace

NO_TRANSACTION = "-- teamigrate: no-transaction"


@dataclass(frozen=True)
class MigrationDraft:
    """A plan from `before` to `after` and the plan back (proven, when draft_between made them)."""

    before: Schema
    after: Schema
    up: Plan
    down: Plan

    @property
    def is_empty(self) -> bool:
        return self.up.is_empty


def draft_between(workspace: Workspace, before_url: str, after_url: str, *, with_down: bool = True) -> MigrationDraft:
    """Diff the two databases both ways and prove each plan on a scratch copy of its source."""
    draft = plan_both_ways(*workspace.introspect_all([before_url, after_url]), with_down=with_down)
    prove_plan(workspace, before_url, draft.up, draft.after)
    prove_plan(workspace, after_url, draft.down, draft.before)
    return draft


def plan_both_ways(before: Schema, after: Schema, *, with_down: bool = True) -> MigrationDraft:
    """The plans from `before` to `after` and back, not proven yet: the caller proves them."""
    up = diff_schemas(before, after)
    down = diff_schemas(after, before) if with_down and not up.is_empty else Plan()
    return MigrationDraft(before, after, up, down)


def render_migration_sql(plan: Plan, header: Sequence[str] = (), directives: Sequence[str] = ()) -> str:
    """A migration file: directives first (they must lead the file), then the header, the hazards, the SQL."""
    lines = [*directives]
    if not plan.transactional:
        lines.insert(0, NO_TRANSACTION)
    lines.extend(f"-- {text}" if text else "--" for text in header)
    hazards = hazard_lines(plan)
    if hazards:
        lines.append("--")
        lines.append("-- Hazards (review before deploying):")
        lines.extend(f"--   {hazard}" for hazard in hazards)
    body = plan.to_sql()
    return "\n".join(lines) + ("\n\n" + body if body else "\n")


def hazard_lines(plan: Plan) -> list[str]:
    """Each distinct hazard of the plan once, as `<hazard>: <what it means here>`."""
    seen: list[str] = []
    for statement in plan.statements:
        for comment in statement.hazard_comments():
            line = comment.removeprefix("-- hazard: ")
            if line not in seen:
                seen.append(line)
    return seen

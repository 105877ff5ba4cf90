"""Forward and reverse SQL between two databases' schemas, each proven by replay before anyone sees it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from datetime import datetime

from teamigrate.database import connect
from teamigrate.history.apply import replay_into
from teamigrate.history.migrations import Migration, new_migration_id
from teamigrate.schema.diff import diff_schemas
from teamigrate.schema.model import Schema
from teamigrate.schema.online import OnlineStep, online_steps
from teamigrate.schema.plan import Plan
from teamigrate.workspace.proof import prove_migration, prove_plan
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
    prove_plan(workspace, before_url, draft.up, draft.after, source=draft.before, target_url=after_url)
    # pg_dump's check of the down plan only where there is one (an empty `up` was checked both ways above).
    with_dump = with_down and not draft.up.is_empty
    prove_plan(workspace, after_url, draft.down, draft.before, source=draft.after if with_dump else None, target_url=before_url if with_dump else None)
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


@dataclass(frozen=True)
class StepMigration:
    """One migration of an online-safe split (teamigrate.schema.online), as it will be written."""

    migration: Migration
    step: OnlineStep


def online_safe_migrations(draft: MigrationDraft, name: str, moment: datetime, existing: Sequence[str], header: str) -> list[StepMigration]:
    """The draft as online-safe migrations, in order: the first named `name`, the others `name_<step>`, each with its down."""
    written: list[StepMigration] = []
    steps = online_steps(draft.before, draft.after, draft.up)
    for number, step in enumerate(steps):
        step_name = name if number == 0 else f"{name}_{step.suffix}"
        migration_id = new_migration_id(step_name, moment, [*existing, *(w.migration.id for w in written)])
        lines = [header if number == 0 else f"Step {number + 1} of {len(steps)} of `{name}` (online-safe: see its first migration)."]
        if number == 0 and len(steps) > 1:
            rest = ", ".join(f"`{name}_{later.suffix}`" for later in steps[1:])
            lines.append(f"Step 1 of {len(steps)} (online-safe); the change is finished by {rest}.")
        if step.purpose:
            lines.append(step.purpose)
        up = render_migration_sql(step.up, lines, [f"-- teamigrate: allow {', '.join(step.allow)}"] if step.allow else ())
        down = render_migration_sql(step.down, [f"Reverses {migration_id}."]) if not step.down.is_empty else None
        written.append(StepMigration(Migration(migration_id, up, down), step))
    return written


def prove_steps(workspace: Workspace, history_url: str, before: Schema, steps: Sequence[StepMigration]) -> Schema:
    """Replay each migration file on what the ones before it left, as `check` replays them, and each down, last first,
    back to the schema before its migration. Returns the schema the last migration reaches.

    `history_url` is a scratch database of the caller's, at `before`; it is copied, not changed.
    """
    with workspace.copy_of(history_url) as chain:
        reached = before
        for step in steps:
            reached = prove_migration(workspace, chain, step.migration, step.step.reaches)
            _run_file(chain, step.migration.id, step.migration.sql)
        for number in reversed(range(len(steps))):
            previous = steps[number - 1].step.reaches if number > 0 else before
            prove_plan(workspace, chain, steps[number].step.down, previous, in_place=True)
            down_sql = steps[number].migration.down_sql
            if number > 0 and down_sql is not None:
                _run_file(chain, steps[number].migration.id, down_sql)
    return reached


def _run_file(url: str, migration_id: str, sql: str) -> None:
    """Leave a proven file's change on the scratch database (as its directives say: in a transaction or not)."""
    with connect(url) as conn:
        replay_into(conn, [Migration(migration_id, sql)], whole_files=False)

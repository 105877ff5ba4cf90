"""`teamigrate squash`: replace a range of migrations by one whose SQL goes from the schema before the range to the schema after it."""

from __future__ import annotations

from collections.abc import Sequence

from teamigrate import output
from teamigrate.config import Config
from teamigrate.workspace.drafting import draft_between, hazard_lines
from teamigrate.history.folders import replace_migrations
from teamigrate.commands.new import migration_from_draft
from teamigrate.commands.replaying import replayed
from teamigrate.errors import MigrationError, TeamigrateError
from teamigrate.history.apply import split_statements
from teamigrate.workspace.project import checked_out_migrations, migration_directory
from teamigrate.history.migrations import Migration
from teamigrate.planners.squash import SquashRange, select_range, squash_id
from teamigrate.schema.diff import diff_schemas
from teamigrate.workspace.schemas import Workspace

_DATA_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "TRUNCATE"})


def squash(config: Config, *, name: str, from_id: str | None = None, to_id: str | None = None) -> int:
    migrations = checked_out_migrations(config)
    span = select_range(migrations, from_id, to_id)
    new_id = squash_id(span, name)
    workspace = Workspace.for_config(config)
    with replayed(workspace.shadow, span.before) as before_url, replayed(workspace.shadow, (*span.before, *span.squashed)) as after_url:
        draft = draft_between(workspace, before_url, after_url)
    header = f"Squashes {len(span.squashed)} migrations, {span.ids[0]} to {span.ids[-1]}: the schema after them, built from the schema before them."
    migration = migration_from_draft(new_id, draft, header, directives=[f"-- teamigrate: replaces {' '.join(span.ids)}"])
    history = (*span.before, migration, *span.after)
    _verify_same_schema(workspace, migrations, history)
    for migration_id in data_migrations(span.squashed):
        output.warn(f"{migration_id} changes data; the squash keeps only the schema (move that data into the seed or a data migration)")
    replace_migrations(migration_directory(config), history, [migration], removed=span.ids)
    for hazard in hazard_lines(draft.up):
        output.warn(f"hazard: {hazard}")
    output.line(f"squashed {len(span.squashed)} migrations into {new_id} (with down.sql); teamigrate.sum rewritten")
    output.line("databases that applied all of them count it as applied; new databases run it instead of them")
    return 0


def _verify_same_schema(workspace: Workspace, old: Sequence[Migration], new: Sequence[Migration]) -> None:
    with replayed(workspace.shadow, old) as old_url, replayed(workspace.shadow, new) as new_url:
        residual = diff_schemas(workspace.introspect(old_url), workspace.introspect(new_url))
    if not residual.is_empty:
        names = ", ".join(residual.changed_objects[:8])
        raise TeamigrateError(
            "TM416",
            f"the squashed history builds another schema than the old one ({names}); nothing was written",
            "this is a teamigrate bug: keep the old migrations and report it",
        )


def data_migrations(migrations: Sequence[Migration]) -> list[str]:
    """The migrations with statements that change rows, which a schema diff cannot carry."""
    return [m.id for m in migrations if any(s.keywords[:1] and s.keywords[0] in _DATA_VERBS for s in split_statements(m.sql))]

"""`teamigrate squash`: replace a range of migrations by one whose SQL goes from the schema before the range to the schema after it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from teamigrate import output
from teamigrate.config import Config
from teamigrate.develop.drafting import draft_between, hazard_lines
from teamigrate.develop.folders import replace_migrations
from teamigrate.develop.new import migration_from_draft
from teamigrate.develop.replay import replayed
from teamigrate.errors import MigrationError, TeamigrateError
from teamigrate.history.apply import split_statements
from teamigrate.history.checkout import checked_out_migrations, migration_directory
from teamigrate.history.migrations import Migration, is_migration_id, snake_case
from teamigrate.schema.diff import diff_schemas
from teamigrate.schema.sources import SchemaWorkspace
from teamigrate.shadow import ShadowServer

_DATA_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "TRUNCATE"})


@dataclass(frozen=True)
class SquashRange:
    before: tuple[Migration, ...]
    squashed: tuple[Migration, ...]
    after: tuple[Migration, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.squashed)


def select_range(migrations: Sequence[Migration], from_id: str | None, to_id: str | None) -> SquashRange:
    ids = [m.id for m in migrations]
    for given in (from_id, to_id):
        if given is not None and given not in ids:
            raise MigrationError("TM414", f"{given} is not a migration in this checkout", "`teamigrate status` lists the ids", migration_id=given)
    start = ids.index(from_id) if from_id is not None else 0
    stop = ids.index(to_id) + 1 if to_id is not None else len(ids)
    if stop - start < 2:
        what = f"--from {from_id} comes after --to {to_id}" if stop <= start else "the range holds fewer than two migrations"
        raise TeamigrateError("TM414", f"nothing to squash: {what}", "name a range of at least two migrations with --from ID and --to ID (both included)")
    return SquashRange(tuple(migrations[:start]), tuple(migrations[start:stop]), tuple(migrations[stop:]))


def squash_id(span: SquashRange, name: str) -> str:
    """The last squashed migration's timestamp with the new name: it sorts where the range was."""
    slug = snake_case(name)
    candidate = f"{span.squashed[-1].id.split('_', 1)[0]}_{slug}"
    if not slug or not is_migration_id(candidate):
        raise MigrationError("TM201", f"`{name}` is not a usable migration name", "name it with letters, digits and underscores, e.g. squash_2026_q1")
    if candidate in {m.id for m in (*span.before, *span.after)} or any(m.id >= candidate for m in span.before) or any(m.id <= candidate for m in span.after):
        raise MigrationError(
            "TM415",
            f"the squashed migration {candidate} would not sort between {span.before[-1].id if span.before else 'the start'} and {span.after[0].id if span.after else 'the end'}",
            "choose another --name (ids with the same timestamp sort by name)",
        )
    return candidate


def squash(config: Config, *, name: str, from_id: str | None = None, to_id: str | None = None) -> int:
    migrations = checked_out_migrations(config)
    span = select_range(migrations, from_id, to_id)
    new_id = squash_id(span, name)
    shadow = ShadowServer.for_config(config)
    workspace = SchemaWorkspace(config, shadow)
    with replayed(shadow, span.before) as before_url, replayed(shadow, (*span.before, *span.squashed)) as after_url:
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


def _verify_same_schema(workspace: SchemaWorkspace, old: Sequence[Migration], new: Sequence[Migration]) -> None:
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

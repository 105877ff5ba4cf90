"""Collations (CREATE COLLATION): created, dropped, commented; a changed one is dropped and created again."""

from __future__ import annotations

from teamigrate.errors import TeamigrateError
from teamigrate.schema import ddl
from teamigrate.schema.diff.draft import POST, PlanDraft
from teamigrate.schema.diff.objects import subject
from teamigrate.schema.model import Collation, Key


def create_collation(draft: PlanDraft, key: Key, collation: Collation) -> None:
    draft.emit(POST, key, ddl.create_collation(collation))


def refuse_rebuild_in_use(draft: PlanDraft) -> None:
    """DROP COLLATION fails while a column, index or domain uses it, and the plan cannot carry the column's data through a
    collation that does not exist for a moment: TM313, naming what uses it, rather than a plan that fails."""
    classified = draft.classified
    rebuilt = {key for key in classified.rebuilt if key[0] == "collation"}
    if not rebuilt:
        return
    gone = classified.removed | classified.rebuilt
    users: dict[Key, list[str]] = {}
    for dependant, dependency in draft.source.dependencies:
        if dependency in rebuilt and dependant not in gone and dependant in draft.old:
            users.setdefault(dependency, []).append(subject(draft.old[dependant]))
    for key in sorted(users):
        collation = draft.new[key]
        raise TeamigrateError(
            "TM313",
            f"collation {collation.display} changes its definition, and PostgreSQL can only drop and create it again,"
            f" which it refuses while these use it: {', '.join(sorted(users[key]))}",
            "move those to another collation in one migration, change the collation in the next, and move them back"
            " (or write the change by hand in `teamigrate new NAME --empty`)",
        )

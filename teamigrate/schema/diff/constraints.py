"""Constraints, indexes and row-level security policies: the rules a table's rows obey."""

from __future__ import annotations

from typing import Any

from teamigrate.schema import ddl
from teamigrate.schema.diff import attached
from teamigrate.schema.diff.comments import alter_comment
from teamigrate.schema.diff.draft import POST, PlanDraft
from teamigrate.schema.diff.objects import owner, subject
from teamigrate.schema.model import Constraint, Index, Key, Policy
from teamigrate.schema.plan import Hazard
from teamigrate.schema.quoting import qualified


def _on_new_relation(draft: PlanDraft, key: Key, obj: Any) -> bool:
    """Whether a child belongs to a relation this plan creates: building it locks nothing anyone uses."""
    relation = owner(key, obj, draft.new)
    return relation is not None and (relation in draft.classified.added or relation in draft.classified.rebuilt)


def _detached_here(draft: PlanDraft, schema: str, table: str) -> bool:
    old, new = draft.source.tables.get(("table", schema, table)), draft.target.tables.get(("table", schema, table))
    return old is not None and new is not None and old.partition_of is not None and new.partition_of != old.partition_of


def create_constraint(draft: PlanDraft, key: Key, constraint: Constraint) -> None:
    if attached.kept_by_detach(draft, constraint) or attached.made_with_its_index(draft, constraint):
        return
    hazards = [] if _on_new_relation(draft, key, constraint) else [Hazard.LOCKS_TABLE]
    if hazards and not ddl.is_not_valid(constraint.definition):
        hazards.append(Hazard.MAY_FAIL)
    sql = ddl.add_constraint(constraint)
    if attached.on_its_table_only(draft, constraint):
        sql = sql.replace("ALTER TABLE ", "ALTER TABLE ONLY ", 1)
    draft.emit(POST, key, sql, hazards, subject(constraint))


def alter_constraint(draft: PlanDraft, key: Key, old: Constraint, new: Constraint) -> list[str]:
    details = []
    # The one change of definition made in place (classification rebuilds for any other): NOT VALID gone.
    if old.definition != new.definition:
        draft.emit(POST, key, ddl.validate_constraint(new), [Hazard.MAY_FAIL], subject(new))
        details.append("validate")
    return details + alter_comment(draft, key, old, new)


def create_index(draft: PlanDraft, key: Key, index: Index) -> None:
    if index.parent is not None:
        attached.create_attached(draft, key, index)
        return
    hazards = [] if _on_new_relation(draft, key, index) else [Hazard.LOCKS_TABLE]
    if hazards and ddl.is_unique_index(index):
        hazards.append(Hazard.MAY_FAIL)
    # The partition keeps its copy of the parent's index when detached.
    definition = attached.parent_definition(draft, index) or ddl.index_definition(
        index, if_not_exists=_detached_here(draft, index.schema, index.table),
    )
    draft.emit(POST, key, definition, hazards, f"table {qualified(index.schema, index.table)}")


def drop_index(draft: PlanDraft, key: Key, index: Index) -> bool:
    """Whether the drop of `index` is a statement of its own here (partitions' keys attached to it); else the usual DROP."""
    return attached.drop_with_partition_keys(draft, key, index)


def create_policy(draft: PlanDraft, key: Key, policy: Policy) -> None:
    draft.emit(POST, key, ddl.create_policy(policy))


def alter_index(draft: PlanDraft, key: Key, old: Index, new: Index) -> list[str]:
    return attached.alter_attachment(draft, key, old, new) + alter_comment(draft, key, old, new)

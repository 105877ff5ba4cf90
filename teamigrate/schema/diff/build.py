"""Drop, create and alter each classified object, through the module for its kind."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from teamigrate.schema import ddl
from teamigrate.schema.diff import collations, columns, constraints, namespaces, routines, sequences, tables, types, views
from teamigrate.schema.diff.comments import alter_comment, create_comment
from teamigrate.schema.diff.draft import FINAL, PRE, PlanDraft
from teamigrate.schema.diff.grants import alter_grants
from teamigrate.schema.diff.objects import TableColumn, owner, subject
from teamigrate.schema.model import (
    Collation,
    CompositeType,
    Constraint,
    Domain,
    Enum,
    Extension,
    Function,
    Index,
    Key,
    Namespace,
    Policy,
    Sequence,
    Table,
    Trigger,
    View,
)
from teamigrate.schema.plan import Hazard

# What a type being rebuilt is renamed to while the objects that use it move to its new version.
_RENAMED_SUFFIX = "__teamigrate_old"


def build(draft: PlanDraft) -> None:
    classified = draft.classified
    collations.refuse_rebuild_in_use(draft)
    cyclic = _cyclic_foreign_keys(draft)
    for key in sorted(classified.removed | classified.rebuilt):
        if key in draft.old:
            _drop(draft, key, draft.old[key], explicit=key in cyclic)
    for key in sorted(classified.added | classified.rebuilt):
        if key in draft.new:
            _create(draft, key, draft.new[key], rebuilt=key in classified.rebuilt)
    for key in sorted((classified.changed | classified.retyped | classified.default_reset) - classified.rebuilt):
        if key in draft.old and key in draft.new:
            _alter(draft, key, draft.old[key], draft.new[key])
    sequences.sequence_ownership(draft)


def _cyclic_foreign_keys(draft: PlanDraft) -> set[Key]:
    """Foreign keys between tables that are all dropped (or re-created) and reference each other in a circle: DROP TABLE
    of any of them fails on the other's key, so those keys are dropped first, by themselves (pg_depend's edges)."""
    classified = draft.classified
    going = {key for key in classified.removed | classified.rebuilt if key[0] == "table"}
    if len(going) < 2:
        return set()
    references: dict[Key, set[Key]] = {}
    keys: dict[tuple[Key, Key], set[Key]] = {}
    for dependant, dependency in draft.source.dependencies:
        table: Key = ("table", *dependant[1:3])
        if dependant[0] != "constraint" or table not in going or dependency not in draft.old:
            continue
        # pg_depend ties a foreign key to the referenced columns and index: their table is the one referenced.
        referenced = dependency if dependency[0] == "table" else owner(dependency, draft.old[dependency], draft.old)
        constraint = draft.old.get(dependant)
        if referenced in going and referenced != table and isinstance(constraint, Constraint) and constraint.kind == "f":
            references.setdefault(table, set()).add(referenced)
            keys.setdefault((table, referenced), set()).add(dependant)

    def reaches(start: Key, goal: Key) -> bool:
        seen, stack = {start}, [start]
        while stack:
            for after in references.get(stack.pop(), ()):
                if after == goal:
                    return True
                if after not in seen:
                    seen.add(after)
                    stack.append(after)
        return False

    return {key for (table, referenced), found in keys.items() if reaches(referenced, table) for key in found}


def _drop(draft: PlanDraft, key: Key, obj: Any, explicit: bool = False) -> None:
    classified = draft.classified
    if key == namespaces.PUBLIC:
        return
    if key not in classified.rebuilt:
        draft.note(obj, "drop")
    if key in classified.implicit and not explicit:
        relation = owner(key, obj, draft.old)
        if relation is not None and (relation in classified.removed or relation in classified.rebuilt):
            draft.alias[(PRE, key)] = (PRE, relation)
        return
    if isinstance(obj, Sequence) and obj.owned_by is not None:
        owner_column: Key = ("column", *obj.owned_by)
        if owner_column in classified.removed or owner_column in classified.implicit:
            # DROP COLUMN drops the sequences it owns.
            draft.alias[(PRE, key)] = (PRE, owner_column)
            return
    if key in classified.renamed:
        temporary = obj.name + _RENAMED_SUFFIX
        draft.emit(PRE, key, ddl.rename_type(obj, temporary))
        draft.emit(FINAL, key, ddl.drop_statement(replace(obj, name=temporary)))
        return
    if isinstance(obj, TableColumn):
        draft.emit(PRE, key, ddl.drop_column(obj.table, obj.column.name), [Hazard.DROPS_DATA], subject(obj))
        return
    if isinstance(obj, Index) and constraints.drop_index(draft, key, obj):
        return
    hazards: list[Hazard] = []
    if isinstance(obj, Table):
        hazards.append(Hazard.DROPS_DATA)
    draft.emit(PRE, key, ddl.drop_statement(obj), hazards, subject(obj))


def _create(draft: PlanDraft, key: Key, obj: Any, rebuilt: bool) -> None:
    if rebuilt:
        draft.note(obj, "alter", "rebuilt: " + _rebuild_reason(draft, key))
    else:
        draft.note(obj, "add")
    # Schemas, tables and columns set their own comments and grants.
    if isinstance(obj, Namespace):
        namespaces.create_namespace(draft, key, obj)
        return
    if isinstance(obj, Table):
        tables.create_table(draft, key, obj)
        return
    if isinstance(obj, TableColumn):
        columns.add_column(draft, key, obj)
        return
    if isinstance(obj, Extension):
        namespaces.create_extension(draft, key, obj)
    elif isinstance(obj, Enum | Domain | CompositeType):
        types.create_type(draft, key, obj)
    elif isinstance(obj, Collation):
        collations.create_collation(draft, key, obj)
    elif isinstance(obj, Sequence):
        sequences.create_sequence(draft, key, obj)
    elif isinstance(obj, Constraint):
        constraints.create_constraint(draft, key, obj)
    elif isinstance(obj, Index):
        constraints.create_index(draft, key, obj)
    elif isinstance(obj, View):
        views.create_view(draft, key, obj)
    elif isinstance(obj, Function):
        routines.create_function(draft, key, obj)
    elif isinstance(obj, Trigger):
        routines.create_trigger(draft, key, obj)
    elif isinstance(obj, Policy):
        constraints.create_policy(draft, key, obj)
    create_comment(draft, key, obj)
    alter_grants(draft, key, obj, None)


def _rebuild_reason(draft: PlanDraft, key: Key) -> str:
    if key in draft.classified.implicit:
        return "its table is recreated"
    old, new = draft.old.get(key), draft.new.get(key)
    if old is not None and new is not None and old != new:
        return "changed in a way PostgreSQL cannot alter in place"
    return "something it depends on is recreated"


def _alter(draft: PlanDraft, key: Key, old: Any, new: Any) -> None:
    details: list[str] = []
    if isinstance(new, TableColumn):
        details = columns.alter_column(draft, key, old, new)
    elif isinstance(new, Table):
        details = tables.alter_table(draft, key, old, new)
    elif isinstance(new, Extension):
        details = namespaces.alter_extension(draft, key, old, new)
    elif isinstance(new, Enum):
        details = types.alter_enum(draft, key, old, new)
    elif isinstance(new, Domain):
        details = types.alter_domain(draft, key, old, new)
    elif isinstance(new, Sequence):
        details = sequences.alter_sequence(draft, key, old, new)
    elif isinstance(new, Constraint):
        details = constraints.alter_constraint(draft, key, old, new)
    elif isinstance(new, Function):
        details = routines.alter_function(draft, key, old, new)
    elif isinstance(new, Trigger):
        details = routines.alter_trigger(draft, key, old, new)
    elif isinstance(new, View):
        details = views.alter_view(draft, key, old, new)
    elif isinstance(new, Index):
        details = constraints.alter_index(draft, key, old, new)
    else:
        # Schemas, composite types, indexes and policies: anything else about them is a rebuild.
        details = alter_comment(draft, key, old, new)
    if isinstance(new, Namespace | Sequence | Table | View | Function | Enum | Domain | CompositeType):
        details += alter_grants(draft, key, new, old)
    if details:
        draft.note(new, "alter", ", ".join(details))

"""What a diff adds, removes, alters and rebuilds, and what each removal or rebuild drags along with it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from teamigrate.schema import ddl
from teamigrate.schema.diff import partitions
from teamigrate.schema.diff.objects import KINDS, SchemaObjects, TableColumn, column_key, owner
from teamigrate.schema.model import (
    Collation,
    Column,
    CompositeType,
    Constraint,
    Domain,
    Enum,
    Function,
    Index,
    Key,
    Policy,
    Schema,
    Table,
    Trigger,
    View,
)

K = TypeVar("K")
V = TypeVar("V")


def differences(a: Mapping[K, V], b: Mapping[K, V]) -> tuple[list[K], list[K], list[K]]:
    """Keys only in b (added), only in a (removed), and in both with unequal values (changed)."""
    added = [key for key in b if key not in a]
    removed = [key for key in a if key not in b]
    changed = [key for key, value in a.items() if key in b and b[key] != value]
    return added, removed, changed


@dataclass
class Classification:
    """The keys of the objects a plan touches, by what happens to them."""

    added: set[Key] = field(default_factory=set)
    removed: set[Key] = field(default_factory=set)
    changed: set[Key] = field(default_factory=set)
    rebuilt: set[Key] = field(default_factory=set)  # dropped and created again
    implicit: set[Key] = field(default_factory=set)  # dropped by PostgreSQL along with their table
    retyped: set[Key] = field(default_factory=set)  # columns whose type is rebuilt under them
    default_reset: set[Key] = field(default_factory=set)  # columns whose default uses something being dropped
    renamed: set[Key] = field(default_factory=set)  # types rebuilt by renaming the old one out of the way


def classify(source: Schema, target: Schema, old: SchemaObjects, new: SchemaObjects) -> Classification:
    found = Classification()
    for kind in KINDS:
        added, removed, changed = differences(getattr(source, kind), getattr(target, kind))
        found.added.update(added)
        found.removed.update(removed)
        found.changed.update(changed)
    for key in list(found.changed):
        if _needs_rebuild(old[key], new[key]) or _domain_tightened_in_container(key, source, old, new):
            found.rebuilt.add(key)
        if key[0] == "table":
            _classify_columns(found, source.tables[key], target.tables[key], old, new)
    partitions.before_cascade(found, source, target)
    _cascade(found, source, old, new)
    partitions.after_cascade(found, source, target, old)
    return found


def _is_subsequence(old: tuple[str, ...], new: tuple[str, ...]) -> bool:
    remaining = iter(new)
    return all(label in remaining for label in old)


def _needs_rebuild(old: Any, new: Any) -> bool:
    if type(old) is not type(new):
        return True
    if isinstance(old, Collation):
        # PostgreSQL alters nothing of a collation but its name, owner and schema.
        return replace(old, comment=None) != replace(new, comment=None)
    if isinstance(old, Enum):
        return not _is_subsequence(old.labels, new.labels)
    if isinstance(old, Domain):
        return (old.base_type, old.collation) != (new.base_type, new.collation)
    if isinstance(old, CompositeType):
        return old.attributes != new.attributes
    if isinstance(old, Table):
        if old.partition_key != new.partition_key:
            return True
        if old.inherits and new.inherits and any(
            (previous := old.column(column.name)) is not None and previous.inherited != column.inherited
            for column in new.columns
        ):
            return True  # a column merged with the parent's, or no longer: only a new table has it so
        # A column cannot go back from local to inherited-only: that takes a new table.
        gained = [parent for parent in new.inherits if parent not in old.inherits]
        return bool(gained) and any(
            column.inherited and (previous := old.column(column.name)) is not None and not previous.inherited
            for column in new.columns
        )
    if isinstance(old, TableColumn):
        o, n = old.column, new.column
        if o.generated == n.generated and o.generated_kind == n.generated_kind:
            return False
        # A generated expression can only be dropped in place (the values stay).
        return not (n.generated is None and o.generated_kind == "s")
    if isinstance(old, Constraint):
        return old.kind != new.kind or (
            old.definition != new.definition and not ddl.only_validated(old.definition, new.definition)
        )
    if isinstance(old, Index):
        return old.definition != new.definition
    if isinstance(old, View):
        return (old.definition, old.materialized, old.options) != (new.definition, new.materialized, new.options)
    if isinstance(old, Function):
        return (old.kind, old.result, old.arguments) != (new.kind, new.result, new.arguments)
    if isinstance(old, Trigger):
        return old.definition != new.definition
    if isinstance(old, Policy):
        return replace(old, comment=None) != replace(new, comment=None)
    return False


def _domain_tightened_in_container(key: Key, source: Schema, old_objects: SchemaObjects, new_objects: SchemaObjects) -> bool:
    """PostgreSQL cannot check a new domain constraint inside arrays or composite types: rebuild instead."""
    old, new = old_objects[key], new_objects[key]
    if not isinstance(old, Domain) or not isinstance(new, Domain):
        return False
    tightened = (new.not_null and not old.not_null) or bool(set(new.checks) - set(old.checks))
    if not tightened:
        return False
    for dependant, dependency in source.dependencies:
        if dependency == key and (dependant[0] == "type" or (
            dependant[0] == "column" and dependant in old_objects and old_objects[dependant].column.type.endswith("[]")
        )):
            return True
    return False


def _classify_columns(found: Classification, old: Table, new: Table, old_objects: SchemaObjects, new_objects: SchemaObjects) -> None:
    old_columns = {c.name: c for c in old.columns}
    new_columns = {c.name: c for c in new.columns}
    for name, column in new_columns.items():
        key = column_key(new, column)
        previous = old_columns.get(name)
        if previous is None:
            if not column.inherited:  # else the parent's new column reaches this table by itself
                found.added.add(key)
        elif previous == column:
            continue
        elif previous.inherited and column.inherited:
            # Its type (and the rest) follows the parent's column; only what it holds for itself is altered here.
            if _own_facts_differ(previous, column):
                found.changed.add(key)
        elif replace(previous, inherited=False) != replace(column, inherited=False):
            found.changed.add(key)
            if _needs_rebuild(old_objects[key], new_objects[key]):
                found.rebuilt.add(key)
            elif (previous.type, previous.collation) != (column.type, column.collation):
                found.retyped.add(key)
    for name, column in old_columns.items():
        if name not in new_columns:
            found.removed.add(column_key(old, column))
            if column.inherited:
                found.implicit.add(column_key(old, column))  # goes with the parent's column


def _own_facts_differ(old: Column, new: Column) -> bool:
    """What an inherited column holds for itself (pg_dump shows it on the partition or child)."""
    return (old.not_null, old.default, old.not_null_name) != (new.not_null, new.default, new.not_null_name)


def _cascade(found: Classification, source: Schema, old: SchemaObjects, new: SchemaObjects) -> None:
    # defaultdict: setdefault would make a list for each of tens of thousands of dependencies.
    dependants: defaultdict[Key, list[Key]] = defaultdict(list)
    for dependant, dependency in source.dependencies:
        dependants[dependency].append(dependant)
    children: dict[Key, list[Key]] = {}
    if any(key[0] in ("table", "view") for key in found.removed | found.rebuilt):
        for key, obj in old.items():
            relation = owner(key, obj, old)
            if relation is not None:
                children.setdefault(relation, []).append(key)
    queue = list(found.removed | found.rebuilt | found.retyped)
    seen: set[Key] = set(queue)
    while queue:
        disrupted = queue.pop()
        dropped = disrupted in found.removed or disrupted in found.rebuilt
        if dropped and disrupted[0] in ("table", "view"):
            for child in children.get(disrupted, ()):
                found.implicit.add(child)
                if child in new and child not in found.rebuilt:
                    found.rebuilt.add(child)
                    found.changed.add(child)
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
        if disrupted[0] == "collation":
            # What uses a dropped collation changes in the target by itself; a rebuilt one's users are refused (TM313).
            continue
        for dependant in dependants.get(disrupted, ()):
            if dependant in found.removed or dependant in found.rebuilt or dependant not in new:
                continue
            kind = dependant[0]
            if kind == "column":
                if disrupted[0] == "type" and disrupted in found.rebuilt:
                    found.retyped.add(dependant)
                elif disrupted[0] == "column":
                    found.rebuilt.add(dependant)
                elif dropped:
                    found.default_reset.add(dependant)
                    continue
                else:
                    continue
            elif kind in ("index", "constraint") and not dropped:
                continue  # PostgreSQL rebuilds them itself when a column's type changes
            elif kind == "table" and disrupted[0] != "table":
                continue
            elif kind == "owner":
                continue
            else:
                found.rebuilt.add(dependant)
            found.changed.add(dependant)
            if dependant not in seen:
                seen.add(dependant)
                queue.append(dependant)
    for key in found.rebuilt:
        if key[0] == "type" and any(d not in found.removed for d in dependants.get(key, ())):
            found.renamed.add(key)

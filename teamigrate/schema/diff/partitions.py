"""Partitions' indexes attached to their partitioned table's index, and what attaching or detaching a partition keeps.

PostgreSQL makes a partition's copy of a parent's index by itself (when the partition is
created or attached, or the parent's index created) under a name of its choosing; pg_dump
shows every copy by name with `ALTER INDEX parent ATTACH PARTITION child`. So a copy that
PostgreSQL makes is renamed where the target names it otherwise, a copy on a partition that
stays is created and attached by hand, and a copy that must stop being attached (PostgreSQL
cannot detach an index) takes its parent's index to be built again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from teamigrate.schema.model import Constraint, Index, Key, Schema, Table
from teamigrate.schema.quoting import quote_ident

_NAME_BYTES = 63  # NAMEDATALEN - 1
_LABELS = {"p": "pkey", "u": "key", "x": "excl"}


def _make_object_name(name1: str, name2: str | None, label: str) -> str:
    """PostgreSQL's makeObjectName: name1_name2_label, the longer part clipped until it fits."""
    overhead = (1 if name2 else 0) + len(label) + 1
    available = _NAME_BYTES - overhead
    chars1, chars2 = len(name1.encode()), len(name2.encode()) if name2 else 0
    while chars1 + chars2 > available:
        if chars1 > chars2:
            chars1 -= 1
        else:
            chars2 -= 1
    parts = [name1.encode()[:chars1].decode(errors="ignore")]
    if name2:
        parts.append(name2.encode()[:chars2].decode(errors="ignore"))
    return "_".join([*parts, label])


def auto_index_name(table: str, index: Index, kind: str | None) -> str:
    """The name PostgreSQL gives its own copy of a partitioned table's index on partition `table` (ChooseIndexName).

    `kind`: p, u or x where the parent's index backs a constraint of that kind.
    """
    names: list[str] = []
    for name in index.column_names:
        chosen, number = name, 0
        while chosen in names:
            number += 1
            chosen = f"{name}{number}"
        names.append(chosen)
    addition = "_".join(names).encode()[:_NAME_BYTES].decode(errors="ignore")
    if kind == "p":
        return _make_object_name(table, None, "pkey")
    return _make_object_name(table, addition, _LABELS.get(kind or "", "idx"))


def _shape(index: Index) -> str:
    """The definition without the index's own name: what tells two copies apart but for their names."""
    return index.definition.replace(f" INDEX {quote_ident(index.name)} ON ", " INDEX ON ", 1)


def parent_kind(schema: Schema, parent: Key | None) -> str | None:
    """p, u or x when the parent's index backs a constraint; None for a plain index."""
    found = schema.constraints.get(parent) if parent is not None and parent[0] == "constraint" else None
    return found.kind if found is not None else None


def _same_columns(index: Index, other: Index) -> bool:
    """Whether one index could be the other's copy: the same method, columns and predicate, unique or not."""
    def tail(definition: str) -> str:
        return definition.split(" USING ", 1)[-1]
    return index.definition.startswith("CREATE UNIQUE") == other.definition.startswith("CREATE UNIQUE") \
        and tail(index.definition) == tail(other.definition)


def parent_key(schema: Schema, index: Index) -> Key | None:
    """The key of the index (or the constraint behind it) that `index` is attached to."""
    if index.parent is None:
        return None
    key: Key = ("index", *index.parent)
    if key in schema.indexes:
        return key
    table = schema.tables.get(("table", index.schema, index.table))
    if table is None or table.partition_of is None:
        return None
    found: Key = ("constraint", *table.partition_of, index.parent[1])
    return found if found in schema.constraints else None


def _children(schema: Schema, parent: Key) -> Iterable[Index]:
    return (index for index in schema.indexes.values() if index.parent is not None and parent_key(schema, index) == parent)


def _partitions(schema: Schema, table: tuple[str, str]) -> list[Table]:
    return [t for t in schema.tables.values() if t.partition_of == table]


def _relation(parent: Key, schema: Schema) -> tuple[str, str] | None:
    obj = schema.indexes.get(parent) if parent[0] == "index" else schema.constraints.get(parent)
    return (obj.schema, obj.table) if isinstance(obj, Index | Constraint) else None


def is_complete(schema: Schema, parent: Key) -> bool:
    """Whether every partition of the parent's table has a copy attached to it (else it is created ON ONLY)."""
    relation = _relation(parent, schema)
    if relation is None:
        return True
    attached = {(child.schema, child.table) for child in _children(schema, parent)}
    return all((t.schema, t.name) in attached for t in _partitions(schema, relation))


def attached_here(source: Schema, target: Schema, table: Key) -> bool:
    old, new = source.tables.get(table), target.tables.get(table)
    return old is not None and new is not None and new.partition_of is not None and old.partition_of != new.partition_of


def detached_here(source: Schema, target: Schema, table: Key) -> bool:
    old, new = source.tables.get(table), target.tables.get(table)
    return old is not None and new is not None and old.partition_of is not None and new.partition_of != old.partition_of


def renamed_from(source: Schema, target: Schema, index: Index, gone: set[Key]) -> Index | None:
    """An index of the same table and shape that the target no longer has: renaming it makes `index`.

    `gone`: what the plan drops (an index attached to one of them goes with it).
    """
    shape = _shape(index)
    for old in sorted(source.indexes.values(), key=lambda i: i.name):
        if old.parent is not None and parent_key(source, old) in gone:
            continue
        if (old.schema, old.table) == (index.schema, index.table) and old.key not in target.indexes \
                and old.parent in (None, index.parent) and old.constraint_kind == index.constraint_kind and _shape(old) == shape:
            return old
    return None


def before_cascade(found: Any, source: Schema, target: Schema) -> None:
    """A copy that must stop being attached, on a partition that stays: its parent's index is built again."""
    for old in source.indexes.values():
        if old.parent is None:
            continue
        table: Key = ("table", old.schema, old.table)
        parent = parent_key(source, old)
        if parent is None or parent not in target.indexes and parent not in target.constraints:
            continue
        if table not in target.tables or detached_here(source, target, table):
            continue
        new = target.indexes.get(old.key)
        if new is not None and new.parent == old.parent:
            continue
        if any(parent_key(target, child) == parent and (child.schema, child.table) == (old.schema, old.table)
               for child in target.indexes.values()):
            continue  # another copy takes its place: a rename
        found.rebuilt.add(parent)
        found.changed.add(parent)
    _stolen_on_attach(found, source, target)


def _stolen_on_attach(found: Any, source: Schema, target: Schema) -> None:
    """ATTACH PARTITION takes a matching index of the partition for the parent's: one that must stay its own is built again after."""
    for index in source.indexes.values():
        table: Key = ("table", index.schema, index.table)
        new = target.indexes.get(index.key)
        if index.parent is not None or new is None or new.parent is not None or not attached_here(source, target, table):
            continue
        parent_table = target.tables[table].partition_of
        if any((p.schema, p.table) == parent_table and _same_columns(index, p) for p in target.indexes.values()):
            found.rebuilt.add(index.key)
            found.changed.add(index.key)


def after_cascade(found: Any, source: Schema, target: Schema, old_objects: Mapping[Key, Any]) -> None:
    """What PostgreSQL drops or keeps by itself: copies go with their parent, renamed copies and merged checks stay."""
    gone = found.removed | found.rebuilt
    for old in source.indexes.values():
        if old.parent is None:
            continue
        parent = parent_key(source, old)
        if parent in gone:
            found.implicit.add(old.key)
    taken = keys_under_plain_index(source, gone)
    if taken:
        _cascaded(found, source, target, taken)
    for old in dropped_after_detach(source, target) + kept_by_detach(source, target):
        found.implicit.add(old.key)
    for index in target.indexes.values():
        if index.key in source.indexes or index.parent is None:
            continue
        renamed = renamed_from(source, target, index, gone)
        if renamed is not None and renamed.key in found.removed:
            found.implicit.add(renamed.key)
    for key in found.removed:
        if key[0] != "constraint" or not attached_here(source, target, ("table", key[1], key[2])):
            continue
        constraint = old_objects[key]
        table = target.tables[("table", key[1], key[2])]
        inherited = target.constraints.get(("constraint", *table.partition_of, constraint.name))  # type: ignore[misc]
        if inherited is not None and inherited.definition == constraint.definition:
            found.implicit.add(key)  # ATTACH PARTITION takes it for the parent's


def keys_under_plain_index(source: Schema, gone: set[Key], parent: Key | None = None) -> list[Key]:
    """Partitions' own keys (and their indexes) whose index is attached to a plain index of the parent that goes.

    PostgreSQL can neither drop such a key (its index is attached) nor the parent's index without
    CASCADE (the key needs its index), nor detach an index: the parent's index is dropped with
    CASCADE, which takes exactly these keys. `parent`: only those under that index.
    """
    found: list[Key] = []
    for old in source.indexes.values():
        if old.parent is None or old.constraint_kind is None:
            continue
        above = parent_key(source, old)
        if above is None or above[0] != "index" or above not in gone or parent not in (None, above):
            continue
        key: Key = ("constraint", old.schema, old.table, old.name)
        if key in source.constraints:
            found += [key, old.key]
    if not found:
        return found
    # Foreign keys that reference those keys go with them too.
    reached = set(found)
    found += [dependant for dependant, dependency in source.dependencies if dependency in reached and dependant[0] == "constraint"]
    return found


def _cascaded(found: Any, source: Schema, target: Schema, taken: list[Key]) -> None:
    """What DROP INDEX … CASCADE takes: made again where the target has it."""
    for key in taken:
        found.implicit.add(key)
        if (key in target.constraints or key in target.indexes) and key not in found.removed:
            found.rebuilt.add(key)
            found.changed.add(key)


def _detached_copies(source: Schema, target: Schema) -> list[Index]:
    """Copies of a parent's index on partitions detached here that the target has no longer as indexes."""
    return [
        old for old in source.indexes.values()
        if old.parent is not None and old.key not in target.indexes and detached_here(source, target, ("table", old.schema, old.table))
    ]


def kept_by_detach(source: Schema, target: Schema) -> list[Index]:
    """Copies behind a partition's key that DETACH PARTITION leaves to it as a key of its own, which the target has."""
    return [old for old in _detached_copies(source, target) if ("constraint", old.schema, old.table, old.name) in target.constraints]


def dropped_after_detach(source: Schema, target: Schema) -> list[Index]:
    """Copies that DETACH PARTITION leaves on the partition and the target has not: dropped once it is detached."""
    return [old for old in _detached_copies(source, target) if ("constraint", old.schema, old.table, old.name) not in target.constraints]

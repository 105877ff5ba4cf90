"""Statements for partitions' indexes attached to a parent's, and for what attaching or detaching a partition keeps.

The rules are in `partitions`; this module writes them onto the plan being drafted.
"""

from __future__ import annotations

import re

from teamigrate.schema import ddl
from teamigrate.schema.diff import partitions
from teamigrate.schema.diff.draft import POST, PRE, PlanDraft
from teamigrate.schema.model import Constraint, Index, Key
from teamigrate.schema.plan import Hazard
from teamigrate.schema.quoting import qualified, quote_ident


def kept_by_detach(draft: PlanDraft, constraint: Constraint) -> bool:
    """A partition detached here keeps its copies of the parent's checks as its own."""
    table: Key = ("table", constraint.schema, constraint.table)
    if not partitions.detached_here(draft.source, draft.target, table) or table in draft.classified.rebuilt:
        return False
    if any(kept.name == constraint.name and kept.table == constraint.table for kept in partitions.kept_by_detach(draft.source, draft.target)):
        return True
    parent = draft.source.tables[table].partition_of
    inherited = draft.source.constraints.get(("constraint", *parent, constraint.name))  # type: ignore[misc]
    return inherited is not None and inherited.definition == constraint.definition



def drop_with_partition_keys(draft: PlanDraft, key: Key, index: Index) -> bool:
    """A partitioned table's plain index with partitions' own keys attached to it: dropped with CASCADE, which takes
    those keys (and their indexes) and nothing else the plan keeps; a key the target has is created again after."""
    table = draft.source.tables.get(("table", index.schema, index.table))
    if table is None or table.partition_key is None:
        return False
    classified = draft.classified
    taken = partitions.keys_under_plain_index(draft.source, classified.removed | classified.rebuilt, key)
    if not taken:
        return False
    draft.emit(PRE, key, ddl.drop_index(index, cascade=True), [Hazard.DROPS_DEPENDANTS], f"index {index.display}")
    for gone in taken:
        draft.alias[(PRE, gone)] = (PRE, key)
    return True


def create_attached(draft: PlanDraft, key: Key, index: Index) -> None:
    """A partition's copy of its parent's index: renamed where PostgreSQL makes it, else made and attached."""
    table: Key = ("table", index.schema, index.table)
    parent = partitions.parent_key(draft.target, index)
    assert index.parent is not None
    parent_name = qualified(*index.parent)
    classified = draft.classified
    made_by_postgres = (
        table in classified.added or table in classified.rebuilt or partitions.attached_here(draft.source, draft.target, table)
        or (parent is not None and (parent in classified.added or parent in classified.rebuilt) and partitions.is_complete(draft.target, parent))
    )
    if made_by_postgres and _adopts_own_key(draft, index):
        return
    if made_by_postgres:
        made = partitions.auto_index_name(index.table, index, partitions.parent_kind(draft.target, parent))
        if made != index.name:
            draft.emit(POST, key, _rename(index.schema, made, index.name))
        _own_key(draft, key, index)
        return
    renamed = partitions.renamed_from(draft.source, draft.target, index, classified.removed | classified.rebuilt)
    if renamed is not None:
        draft.emit(POST, key, _rename(index.schema, renamed.name, index.name))
        if renamed.parent is None:
            draft.emit(POST, key, attach_index(parent_name, index))
        _own_key(draft, key, index)
        return
    draft.emit(POST, key, ddl.index_definition(index), [], f"table {qualified(index.schema, index.table)}")
    if index.constraint_kind in ("p", "u"):
        draft.emit(POST, key, _add_constraint_using_index(index, index.constraint_kind))
    draft.emit(POST, key, attach_index(parent_name, index))


def _adopts_own_key(draft: PlanDraft, index: Index) -> bool:
    """A plain index of the parent built here, whose copy on a partition that stays is that partition's own key: CREATE
    INDEX takes the key's index (kept, or added before it: constraints go before indexes) instead of making one."""
    classified = draft.classified
    parent = partitions.parent_key(draft.target, index)
    table: Key = ("table", index.schema, index.table)
    if parent is None or parent[0] != "index" or (parent not in classified.added and parent not in classified.rebuilt):
        return False
    if table in classified.added or table in classified.rebuilt or partitions.attached_here(draft.source, draft.target, table):
        return False
    local = draft.target.constraints.get(("constraint", index.schema, index.table, index.name))
    return local is not None and local.kind in ("p", "u")


def _own_key(draft: PlanDraft, key: Key, index: Index) -> None:
    """The partition's own key on a copy of the parent's index, added with it once it has its name."""
    local = draft.target.constraints.get(("constraint", index.schema, index.table, index.name))
    if local is not None and local.kind in ("p", "u") and local.key in draft.classified.added:
        draft.emit(POST, key, _add_constraint_using_index(index, local.kind))


def _add_constraint_using_index(index: Index, kind: str) -> str:
    clause = "PRIMARY KEY" if kind == "p" else "UNIQUE"
    return f"ALTER TABLE {qualified(index.schema, index.table)} ADD CONSTRAINT {quote_ident(index.name)} {clause} USING INDEX {quote_ident(index.name)}"


def made_with_its_index(draft: PlanDraft, constraint: Constraint) -> bool:
    """A partition's own key on a copy of the parent's index that PostgreSQL makes here: added with that index."""
    index = draft.target.indexes.get(("index", constraint.schema, constraint.name))
    return (
        constraint.kind in ("p", "u") and index is not None and index.parent is not None
        and (index.schema, index.table) == (constraint.schema, constraint.table) and index.key in draft.classified.added
        and not _adopts_own_key(draft, index)
    )


def alter_attachment(draft: PlanDraft, key: Key, old: Index, new: Index) -> list[str]:
    """An index that stays, attached now to its parent's index: ATTACH, unless PostgreSQL attaches it itself."""
    if new.parent is None or old.parent == new.parent:
        return []
    table: Key = ("table", new.schema, new.table)
    parent = partitions.parent_key(draft.target, new)
    classified = draft.classified
    if partitions.attached_here(draft.source, draft.target, table) or (parent is not None and (parent in classified.added or parent in classified.rebuilt)):
        return [f"attached to {qualified(*new.parent)}"]
    if new.constraint_kind in ("p", "u") and old.constraint_kind is None:
        # Attached to a key's index, an index must back the partition's copy of that key first.
        draft.emit(POST, key, _add_constraint_using_index(new, new.constraint_kind), [Hazard.LOCKS_TABLE], f"table {qualified(new.schema, new.table)}")
    draft.emit(POST, key, attach_index(qualified(*new.parent), new))
    return [f"attached to {qualified(*new.parent)}"]


def attach_index(parent: str, index: Index) -> str:
    return f"ALTER INDEX {parent} ATTACH PARTITION {qualified(index.schema, index.name)}"


def _rename(schema: str, old: str, new: str) -> str:
    return f"ALTER INDEX {qualified(schema, old)} RENAME TO {quote_ident(new)}"


_ONLY = re.compile(r" ON ONLY ")


def parent_definition(draft: PlanDraft, index: Index) -> str | None:
    """CREATE INDEX … ON ONLY for a partitioned table's index not every partition has a copy of; None otherwise."""
    if not _ONLY.search(index.definition) or partitions.is_complete(draft.target, index.key):
        return None
    return index.definition


def on_its_table_only(draft: PlanDraft, constraint: Constraint) -> bool:
    """A partitioned table's key that not every partition has a copy of: added ON ONLY the table."""
    table = draft.target.tables.get(("table", constraint.schema, constraint.table))
    return (
        constraint.kind in ("p", "u") and table is not None and table.partition_key is not None
        and not partitions.is_complete(draft.target, constraint.key)
    )

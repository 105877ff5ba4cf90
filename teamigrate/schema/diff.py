"""Turn one schema into another: compare per kind, order by the dependency graph, render DDL with hazards."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from teamigrate.schema import ddl
from teamigrate.schema.model import (
    Column,
    CompositeType,
    Constraint,
    Domain,
    Enum,
    Extension,
    Function,
    Grant,
    Index,
    Key,
    Namespace,
    Policy,
    Schema,
    Sequence,
    Table,
    Trigger,
    View,
)
from teamigrate.schema.plan import Change, Hazard, Plan, Statement
from teamigrate.schema.quoting import qualified, quote_ident, quote_literal

__all__ = ["Change", "Hazard", "Plan", "Statement", "diff_schemas", "differences"]

K = TypeVar("K")
V = TypeVar("V")

# The phases of one object: "pre" clears the way (drops, detaches, releases of
# dependencies), "post" builds (creates, alters), "final" removes what a rebuild
# renamed out of the way. The graph orders phases across objects.
PRE, POST, FINAL = 0, 1, 2
Node = tuple[int, Key]

_PRE_RANK = {
    "trigger": 0, "policy": 1, "view": 2, "constraint": 3, "index": 4, "column": 5, "function": 6,
    "table": 7, "owner": 8, "sequence": 9, "type": 10, "extension": 11, "schema": 12,
}
_POST_RANK = {
    "schema": 0, "extension": 1, "type": 2, "sequence": 3, "table": 4, "column": 5, "owner": 6,
    "constraint": 7, "index": 8, "view": 9, "function": 10, "trigger": 11, "policy": 12,
}
_PUBLIC = ("schema", "public")
_DEFAULT_PUBLIC_COMMENT = "standard public schema"


def differences(a: Mapping[K, V], b: Mapping[K, V]) -> tuple[list[K], list[K], list[K]]:
    """Keys only in b (added), only in a (removed), and in both with unequal values (changed)."""
    added = [key for key in b if key not in a]
    removed = [key for key in a if key not in b]
    changed = [key for key, value in a.items() if key in b and b[key] != value]
    return added, removed, changed


@dataclass(frozen=True)
class TableColumn:
    """A column in the graph: columns are objects of their own for ordering and changes."""

    table: Table
    column: Column

    @property
    def display(self) -> str:
        return f"{self.table.display}.{quote_ident(self.column.name)}"


def _column_key(table: Table, column: Column) -> Key:
    return ("column", table.schema, table.name, column.name)


class _Objects(Mapping[Key, Any]):
    """Every object of a schema by key; columns are looked up in their table only when asked for."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.found: dict[Key, Any] = {}
        for kind in ("namespaces", "extensions", "types", "sequences", "tables", "constraints", "indexes",
                     "views", "functions", "triggers", "policies"):
            self.found.update(getattr(schema, kind))

    def __getitem__(self, key: Key) -> Any:
        if key[0] != "column":
            return self.found[key]
        table = self.schema.tables.get(("table", key[1], key[2]))
        column = table.column(key[3]) if table is not None else None
        if table is None or column is None:
            raise KeyError(key)
        return TableColumn(table, column)

    def __iter__(self) -> Iterator[Key]:
        yield from self.found
        for table in self.schema.tables.values():
            for column in table.columns:
                yield _column_key(table, column)

    def __len__(self) -> int:
        return len(self.found) + sum(len(table.columns) for table in self.schema.tables.values())


_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}
_REPLICA = {"d": "DEFAULT", "n": "NOTHING", "f": "FULL"}
_TABLE_CHILDREN = frozenset({"column", "constraint", "index", "trigger", "policy"})
_IN_SCHEMA = frozenset({"type", "sequence", "table", "view", "function", "index"})


def _owner(key: Key, obj: Any, objects: Mapping[Key, Any]) -> Key | None:
    """The relation a column, constraint, index, trigger or policy belongs to."""
    kind = key[0]
    if kind not in _TABLE_CHILDREN:
        return None
    table_key: Key = ("table", key[1], obj.table if kind == "index" else key[2])
    return table_key if kind == "column" or table_key in objects else ("view", *table_key[1:])


def _model_dependencies(key: Key, objects: Mapping[Key, Any]) -> Iterable[Key]:
    """What an object depends on by the model's own structure (pg_depend gives the rest)."""
    if key[0] == "replica":
        table = objects.get(("table", *key[1:]))
        if table is not None:
            yield table.key
            if table.replica_identity.startswith("index:"):
                index_name = table.replica_identity.split(":", 1)[1]
                index_key: Key = ("index", key[1], index_name)
                yield index_key if index_key in objects else ("constraint", key[1], key[2], index_name)
        return
    if key[0] == "owner":
        sequence = objects.get(("sequence", *key[1:]))
        if sequence is not None and sequence.owned_by is not None:
            yield ("column", *sequence.owned_by)
            yield sequence.key
        return
    obj = objects.get(key)
    if obj is None:
        return
    # pg_depend's edges to schemas are left out at introspection (one per object); they are these.
    if key[0] in _IN_SCHEMA:
        yield ("schema", key[1])
    elif isinstance(obj, Extension):
        yield ("schema", obj.schema)
    owner = _owner(key, obj, objects)
    if owner is not None:
        yield owner
    if isinstance(obj, Table):
        if obj.partition_of is not None:
            yield ("table", *obj.partition_of)
        for parent in obj.inherits:
            yield ("table", *parent)
    if isinstance(obj, TableColumn) and obj.column.identity is not None:
        identity = obj.column.identity
        yield ("sequence", identity.sequence_schema, identity.sequence_name)


def _is_subsequence(old: tuple[str, ...], new: tuple[str, ...]) -> bool:
    remaining = iter(new)
    return all(label in remaining for label in old)


def _needs_rebuild(old: Any, new: Any) -> bool:
    if type(old) is not type(new):
        return True
    if isinstance(old, Enum):
        return not _is_subsequence(old.labels, new.labels)
    if isinstance(old, Domain):
        return (old.base_type, old.collation) != (new.base_type, new.collation)
    if isinstance(old, CompositeType):
        return old.attributes != new.attributes
    if isinstance(old, Table):
        if old.partition_key != new.partition_key:
            return True
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
            old.definition != new.definition and not _only_validated(old.definition, new.definition)
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


def _only_validated(old: str, new: str) -> bool:
    return old.endswith(" NOT VALID") and old[: -len(" NOT VALID")] == new


def _kind_name(obj: Any) -> str:
    if isinstance(obj, Namespace):
        return "schema"
    if isinstance(obj, Enum):
        return "enum"
    if isinstance(obj, Domain):
        return "domain"
    if isinstance(obj, CompositeType):
        return "type"
    if isinstance(obj, TableColumn):
        return "column"
    if isinstance(obj, View):
        return "materialized view" if obj.materialized else "view"
    if isinstance(obj, Function):
        return "procedure" if obj.kind == "p" else "function"
    return type(obj).__name__.lower()


def _change_name(obj: Any) -> str:
    if isinstance(obj, Constraint | Trigger | Policy):
        return f"{qualified(obj.schema, obj.table)}.{quote_ident(obj.name)}"
    return str(obj.display)


def _change_table(obj: Any) -> str | None:
    if isinstance(obj, TableColumn):
        return obj.table.display
    if isinstance(obj, Constraint | Index | Trigger | Policy):
        return qualified(obj.schema, obj.table)
    if isinstance(obj, Table | View):
        return str(obj.display)
    return None


def _cast_target(type_text: str) -> str:
    return "text[]" if type_text.endswith("[]") else "text"


_WIDENINGS = {("character varying", "text"), ("character", "text"), ("smallint", "integer"), ("integer", "bigint")}


def _type_change_hazards(old: str, new: str) -> frozenset[Hazard]:
    base_old, base_new = old.split("(")[0], new.split("(")[0]
    if base_old == "character varying" and base_new in ("character varying", "text"):
        if base_new == "text" or _length(new) >= _length(old):
            return frozenset()
    if base_old == "numeric" and base_new == "numeric" and not old.endswith("[]") and not new.endswith("[]"):
        # More precision at the same scale, or no limit at all: PostgreSQL neither
        # rewrites the table nor can any value fail.
        before, after = _numeric_modifiers(old), _numeric_modifiers(new)
        if after is None or (before is not None and after[1] == before[1] and after[0] >= before[0]):
            return frozenset()
    if (base_old, base_new) in _WIDENINGS:
        return frozenset({Hazard.REWRITES_TABLE})
    return frozenset({Hazard.REWRITES_TABLE, Hazard.MAY_FAIL})


def _numeric_modifiers(type_text: str) -> tuple[int, int] | None:
    """(precision, scale) of numeric(p[,s]); None for an unconstrained numeric."""
    if "(" not in type_text:
        return None
    parts = type_text.split("(", 1)[1].rstrip(")").split(",")
    return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0


def _length(type_text: str) -> int:
    try:
        return int(type_text.split("(")[1].rstrip(")"))
    except (IndexError, ValueError):
        return 1 << 30


def _default_grants(obj: Any) -> tuple[Grant, ...]:
    """What PostgreSQL grants on a new object by itself (acldefault), besides its owner."""
    if isinstance(obj, Function):
        return (Grant("PUBLIC", "EXECUTE"),)
    if isinstance(obj, Enum | Domain | CompositeType):
        return (Grant("PUBLIC", "USAGE"),)
    return ()


class _Planner:
    """Collects each object's statements per phase, then orders them by the dependency graph."""

    def __init__(self, source: Schema, target: Schema, include_grants: bool) -> None:
        self.source, self.target = source, target
        self.include_grants = include_grants
        self.old = _Objects(source)
        self.new = _Objects(target)
        self.steps: dict[Node, list[Statement]] = {}
        self.alias: dict[Node, Node] = {}
        self.changes: list[Change] = []
        self.removed: set[Key] = set()
        self.added: set[Key] = set()
        self.changed: set[Key] = set()
        self.rebuilt: set[Key] = set()
        self.implicit: set[Key] = set()  # dropped by PostgreSQL along with their table
        self.retyped: set[Key] = set()  # columns whose type is rebuilt under them
        self.default_reset: set[Key] = set()  # columns whose default uses something being dropped
        self.renamed: set[Key] = set()  # types rebuilt by renaming the old one out of the way

    # --- classification -----------------------------------------------------

    def classify(self) -> None:
        for kind in ("namespaces", "extensions", "types", "sequences", "tables", "constraints", "indexes",
                     "views", "functions", "triggers", "policies"):
            added, removed, changed = differences(getattr(self.source, kind), getattr(self.target, kind))
            self.added.update(added)
            self.removed.update(removed)
            self.changed.update(changed)
        for key in list(self.changed):
            if _needs_rebuild(self.old[key], self.new[key]) or self._domain_tightened_in_container(key):
                self.rebuilt.add(key)
            if key[0] == "table":
                self._classify_columns(self.source.tables[key], self.target.tables[key])
        self._cascade()

    def _domain_tightened_in_container(self, key: Key) -> bool:
        """PostgreSQL cannot check a new domain constraint inside arrays or composite types: rebuild instead."""
        old, new = self.old[key], self.new[key]
        if not isinstance(old, Domain) or not isinstance(new, Domain):
            return False
        tightened = (new.not_null and not old.not_null) or bool(set(new.checks) - set(old.checks))
        if not tightened:
            return False
        for dependant, dependency in self.source.dependencies:
            if dependency == key and (dependant[0] == "type" or (
                dependant[0] == "column" and dependant in self.old and self.old[dependant].column.type.endswith("[]")
            )):
                return True
        return False

    def _classify_columns(self, old: Table, new: Table) -> None:
        old_columns = {c.name: c for c in old.columns}
        new_columns = {c.name: c for c in new.columns}
        for name, column in new_columns.items():
            key = _column_key(new, column)
            previous = old_columns.get(name)
            if previous is None:
                if not column.inherited:  # else the parent's new column reaches this table by itself
                    self.added.add(key)
            elif previous == column or (previous.inherited and column.inherited):
                continue
            elif replace(previous, inherited=False) != replace(column, inherited=False):
                self.changed.add(key)
                if _needs_rebuild(self.old[key], self.new[key]):
                    self.rebuilt.add(key)
                elif (previous.type, previous.collation) != (column.type, column.collation):
                    self.retyped.add(key)
        for name, column in old_columns.items():
            if name not in new_columns:
                self.removed.add(_column_key(old, column))
                if column.inherited:
                    self.implicit.add(_column_key(old, column))  # goes with the parent's column

    def _cascade(self) -> None:
        # defaultdict: setdefault would make a list for each of tens of thousands of dependencies.
        dependants: defaultdict[Key, list[Key]] = defaultdict(list)
        for dependant, dependency in self.source.dependencies:
            dependants[dependency].append(dependant)
        children: dict[Key, list[Key]] = {}
        if any(key[0] in ("table", "view") for key in self.removed | self.rebuilt):
            for key, obj in self.old.items():
                owner = _owner(key, obj, self.old)
                if owner is not None:
                    children.setdefault(owner, []).append(key)
        queue = list(self.removed | self.rebuilt | self.retyped)
        seen: set[Key] = set(queue)
        while queue:
            disrupted = queue.pop()
            dropped = disrupted in self.removed or disrupted in self.rebuilt
            if dropped and disrupted[0] in ("table", "view"):
                for child in children.get(disrupted, ()):
                    self.implicit.add(child)
                    if child in self.new and child not in self.rebuilt:
                        self.rebuilt.add(child)
                        self.changed.add(child)
                    if child not in seen:
                        seen.add(child)
                        queue.append(child)
            for dependant in dependants.get(disrupted, ()):
                if dependant in self.removed or dependant in self.rebuilt or dependant not in self.new:
                    continue
                kind = dependant[0]
                if kind == "column":
                    if disrupted[0] == "type" and disrupted in self.rebuilt:
                        self.retyped.add(dependant)
                    elif disrupted[0] == "column":
                        self.rebuilt.add(dependant)
                    elif dropped:
                        self.default_reset.add(dependant)
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
                    self.rebuilt.add(dependant)
                self.changed.add(dependant)
                if dependant not in seen:
                    seen.add(dependant)
                    queue.append(dependant)
        for key in self.rebuilt:
            if key[0] == "type" and any(d not in self.removed for d in dependants.get(key, ())):
                self.renamed.add(key)

    # --- statements ---------------------------------------------------------

    def emit(self, phase: int, key: Key, sql: str, hazards: Iterable[Hazard] = (), subject: str = "", transactional: bool = True) -> None:
        self.steps.setdefault((phase, key), []).append(Statement(sql, frozenset(hazards), transactional, subject))

    def note(self, obj: Any, action: str, detail: str = "") -> None:
        self.changes.append(Change(_kind_name(obj), action, _change_name(obj), _change_table(obj), detail))

    def build(self) -> None:
        for key in sorted(self.removed | self.rebuilt):
            if key in self.old:
                self._drop(key, self.old[key])
        for key in sorted(self.added | self.rebuilt):
            if key in self.new:
                self._create(key, self.new[key], rebuilt=key in self.rebuilt)
        for key in sorted((self.changed | self.retyped | self.default_reset) - self.rebuilt):
            if key in self.old and key in self.new:
                self._alter(key, self.old[key], self.new[key])
        self._sequence_ownership()

    def _drop(self, key: Key, obj: Any) -> None:
        if key == _PUBLIC:
            return
        if key not in self.rebuilt:
            self.note(obj, "drop")
        if key in self.implicit:
            owner = _owner(key, obj, self.old)
            if owner is not None and (owner in self.removed or owner in self.rebuilt):
                self.alias[(PRE, key)] = (PRE, owner)
            return
        if isinstance(obj, Sequence) and obj.owned_by is not None:
            owner_column: Key = ("column", *obj.owned_by)
            if owner_column in self.removed or owner_column in self.implicit:
                self.alias[(PRE, key)] = (PRE, owner_column)
                return
        if key in self.renamed:
            temporary = obj.name + "__teamigrate_old"
            self.emit(PRE, key, f"ALTER TYPE {obj.display} RENAME TO {quote_ident(temporary)}")
            self.emit(FINAL, key, ddl.drop_statement(replace(obj, name=temporary)))
            return
        if isinstance(obj, TableColumn):
            self.emit(PRE, key, f"ALTER TABLE {obj.table.display} DROP COLUMN {quote_ident(obj.column.name)}",
                      [Hazard.DROPS_DATA], f"column {obj.display}")
            return
        hazards: list[Hazard] = []
        subject = f"{_kind_name(obj)} {_change_name(obj)}"
        if isinstance(obj, Table):
            hazards.append(Hazard.DROPS_DATA)
        self.emit(PRE, key, ddl.drop_statement(obj), hazards, subject)

    def _create(self, key: Key, obj: Any, rebuilt: bool) -> None:
        if rebuilt:
            self.note(obj, "alter", "rebuilt: " + self._rebuild_reason(key))
        else:
            self.note(obj, "add")
        subject = f"{_kind_name(obj)} {_change_name(obj)}"
        if isinstance(obj, Namespace):
            if key != _PUBLIC:
                self.emit(POST, key, f"CREATE SCHEMA {obj.display}")
            if obj.comment is not None and not (key == _PUBLIC and obj.comment == _DEFAULT_PUBLIC_COMMENT):
                self.emit(POST, key, ddl.comment_statement(ddl.object_reference(obj), obj.comment))
            self._grants(key, obj, None)
            return
        if isinstance(obj, Extension):
            version = "" if obj.version == obj.default_version else f" VERSION {quote_literal(obj.version)}"
            self.emit(POST, key, f"CREATE EXTENSION IF NOT EXISTS {obj.display} WITH SCHEMA {quote_ident(obj.schema)}{version}")
        elif isinstance(obj, Enum | Domain | CompositeType):
            self.emit(POST, key, ddl.create_type(obj))
            if isinstance(obj, Domain):
                for check in obj.checks:
                    if check.comment is not None:
                        self.emit(POST, key, ddl.comment_statement(f"CONSTRAINT {quote_ident(check.name)} ON DOMAIN {obj.display}", check.comment))
        elif isinstance(obj, Sequence):
            self.emit(POST, key, ddl.create_sequence(obj))
        elif isinstance(obj, Table):
            self._create_table(key, obj)
            return
        elif isinstance(obj, TableColumn):
            self._add_column(key, obj)
            return
        elif isinstance(obj, Constraint):
            hazards = [] if self._on_new_relation(key, obj) else [Hazard.LOCKS_TABLE]
            if hazards and not obj.definition.endswith("NOT VALID"):
                hazards.append(Hazard.MAY_FAIL)
            self.emit(POST, key, ddl.add_constraint(obj), hazards, subject)
        elif isinstance(obj, Index):
            hazards = [] if self._on_new_relation(key, obj) else [Hazard.LOCKS_TABLE]
            if hazards and obj.definition.startswith("CREATE UNIQUE"):
                hazards.append(Hazard.MAY_FAIL)
            definition = ddl.index_definition(obj)
            if self._detached_here(obj.schema, obj.table):
                # The partition keeps its copy of the parent's index when detached.
                definition = definition.replace(" INDEX ", " INDEX IF NOT EXISTS ", 1)
            self.emit(POST, key, definition, hazards, f"table {qualified(obj.schema, obj.table)}")
        elif isinstance(obj, View):
            self.emit(POST, key, ddl.create_view(obj))
            self._view_column_comments(key, obj, ())
        elif isinstance(obj, Function):
            self.emit(POST, key, obj.definition.rstrip())
        elif isinstance(obj, Trigger):
            self.emit(POST, key, obj.definition)
            if obj.enabled != "O":
                self.emit(POST, key, self._trigger_state(obj))
        elif isinstance(obj, Policy):
            self.emit(POST, key, ddl.create_policy(obj))
        if getattr(obj, "comment", None) is not None:
            self.emit(POST, key, ddl.comment_statement(ddl.object_reference(obj), obj.comment))
        self._grants(key, obj, None)

    def _detached_here(self, schema: str, table: str) -> bool:
        old, new = self.source.tables.get(("table", schema, table)), self.target.tables.get(("table", schema, table))
        return old is not None and new is not None and old.partition_of is not None and new.partition_of != old.partition_of

    def _on_new_relation(self, key: Key, obj: Any) -> bool:
        """Whether a child belongs to a relation this plan creates: building it locks nothing anyone uses."""
        owner = _owner(key, obj, self.new)
        return owner is not None and (owner in self.added or owner in self.rebuilt)

    def _rebuild_reason(self, key: Key) -> str:
        if key in self.implicit:
            return "its table is recreated"
        old, new = self.old.get(key), self.new.get(key)
        if old is not None and new is not None and old != new:
            return "changed in a way PostgreSQL cannot alter in place"
        return "something it depends on is recreated"

    def _create_table(self, key: Key, table: Table) -> None:
        self.emit(POST, key, ddl.create_table(table))
        for column in table.columns:
            column_key = _column_key(table, column)
            self.alias[(POST, column_key)] = (POST, key)
            if column.comment is not None:
                self.emit(POST, key, ddl.comment_statement(f"COLUMN {table.display}.{quote_ident(column.name)}", column.comment))
        for column in table.columns:
            self._column_settings(key, table, column, None)
        if table.replica_identity != "d":
            self._replica_identity(table)
        if table.rls_enabled:
            self.emit(POST, key, f"ALTER TABLE {table.display} ENABLE ROW LEVEL SECURITY")
        if table.rls_forced:
            self.emit(POST, key, f"ALTER TABLE {table.display} FORCE ROW LEVEL SECURITY")
        if table.comment is not None:
            self.emit(POST, key, ddl.comment_statement(ddl.object_reference(table), table.comment))
        self._grants(key, table, None)

    def _add_column(self, key: Key, obj: TableColumn) -> None:
        column = obj.column
        hazards = []
        if column.not_null and column.default is None and column.identity is None and column.generated is None:
            hazards.append(Hazard.MAY_FAIL)
        if column.identity is not None or column.generated_kind == "s":
            hazards.append(Hazard.REWRITES_TABLE)
        self.emit(POST, key, f"ALTER TABLE {obj.table.display} ADD COLUMN {ddl.column_definition(obj.table, column)}",
                  hazards, f"table {obj.table.display}")
        if column.comment is not None:
            self.emit(POST, key, ddl.comment_statement(f"COLUMN {obj.display}", column.comment))
        self._column_settings(key, obj.table, column, None)

    def _column_settings(self, key: Key, table: Table, column: Column, old: Column | None) -> list[str]:
        prefix = f"ALTER TABLE {table.display} ALTER COLUMN {quote_ident(column.name)}"
        details = []
        if column.statistics != (old.statistics if old is not None else None):
            self.emit(POST, key, f"{prefix} SET STATISTICS {column.statistics if column.statistics is not None else -1}")
            details.append(f"statistics {column.statistics if column.statistics is not None else 'default'}")
        if column.storage != (old.storage if old is not None else None):
            back_to = old.type_storage if old is not None else None
            storage = _STORAGE.get(column.storage or back_to or "", "DEFAULT")
            self.emit(POST, key, f"{prefix} SET STORAGE {storage}")
            details.append(f"storage {storage.lower()}")
        return details

    def _replica_identity(self, table: Table) -> None:
        identity = table.replica_identity
        clause = f"USING INDEX {quote_ident(identity.split(':', 1)[1])}" if identity.startswith("index:") else _REPLICA[identity]
        self.emit(POST, ("replica", table.schema, table.name), f"ALTER TABLE {table.display} REPLICA IDENTITY {clause}")

    def _trigger_state(self, trigger: Trigger) -> str:
        action = {"O": "ENABLE", "D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}[trigger.enabled]
        return f"ALTER TABLE {qualified(trigger.schema, trigger.table)} {action} TRIGGER {quote_ident(trigger.name)}"

    def _comment(self, key: Key, old: Any, new: Any, target: str | None = None) -> list[str]:
        if old.comment == new.comment:
            return []
        self.emit(POST, key, ddl.comment_statement(target or ddl.object_reference(new), new.comment))
        return ["comment"]

    def _view_column_comments(self, key: Key, view: View, before: tuple[tuple[str, str], ...]) -> list[str]:
        old, new = dict(before), dict(view.column_comments)
        names = [name for name in new if old.get(name) != new[name]] + [name for name in old if name not in new]
        for name in names:
            self.emit(POST, key, ddl.comment_statement(f"COLUMN {view.display}.{quote_ident(name)}", new.get(name)))
        return ["column comments"] if names else []

    def _grants(self, key: Key, new: Any, old: Any | None) -> list[str]:
        if not self.include_grants:
            return []
        target = ddl.grant_target(new)
        if target is None:
            return []
        before: set[Grant] = set(old.grants) if old is not None else set(_default_grants(new))
        after: set[Grant] = set(new.grants)
        for grant in sorted(before - after):
            self.emit(POST, key, ddl.grant_statement(target, grant, revoke=True))
        for grant in sorted(after - before):
            self.emit(POST, key, ddl.grant_statement(target, grant))
        return ["grants"] if before != after else []

    def _alter(self, key: Key, old: Any, new: Any) -> None:
        details: list[str] = []
        if isinstance(new, TableColumn):
            details = self._alter_column(key, old, new)
        elif isinstance(new, Table):
            details = self._alter_table(key, old, new)
        elif isinstance(new, Namespace):
            details = self._comment(key, old, new)
        elif isinstance(new, Extension):
            if old.version != new.version:
                self.emit(POST, key, f"ALTER EXTENSION {new.display} UPDATE TO {quote_literal(new.version)}")
                details.append(f"version {old.version} -> {new.version}")
            if old.schema != new.schema:
                self.emit(POST, key, f"ALTER EXTENSION {new.display} SET SCHEMA {quote_ident(new.schema)}")
                details.append(f"schema {old.schema} -> {new.schema}")
            details += self._comment(key, old, new)
        elif isinstance(new, Enum):
            details = self._alter_enum(key, old, new)
        elif isinstance(new, Domain):
            details = self._alter_domain(key, old, new)
        elif isinstance(new, CompositeType):
            details = self._comment(key, old, new)
        elif isinstance(new, Sequence):
            details = self._alter_sequence(key, old, new)
        elif isinstance(new, Constraint):
            if old.definition != new.definition:
                self.emit(POST, key, f"ALTER TABLE {qualified(new.schema, new.table)} VALIDATE CONSTRAINT {quote_ident(new.name)}",
                          [Hazard.MAY_FAIL], f"constraint {_change_name(new)}")
                details.append("validate")
            details += self._comment(key, old, new)
        elif isinstance(new, Function):
            if old.definition != new.definition:
                self.emit(POST, key, new.definition.rstrip())
                details.append("body or attributes")
            details += self._comment(key, old, new)
        elif isinstance(new, Trigger):
            if old.enabled != new.enabled:
                self.emit(POST, key, self._trigger_state(new))
                details.append("enabled state")
            details += self._comment(key, old, new)
        elif isinstance(new, View):
            details = self._comment(key, old, new) + self._view_column_comments(key, new, old.column_comments)
        else:
            details = self._comment(key, old, new)
        if isinstance(new, Namespace | Sequence | Table | View | Function | Enum | Domain | CompositeType):
            details += self._grants(key, new, old)
        if details:
            self.note(new, "alter", ", ".join(details))

    def _alter_table(self, key: Key, old: Table, new: Table) -> list[str]:
        name = new.display
        details = []
        if old.partition_of != new.partition_of or old.partition_bound != new.partition_bound:
            if old.partition_of is not None:
                self.emit(PRE, key, f"ALTER TABLE {qualified(*old.partition_of)} DETACH PARTITION {name}")
                details.append(f"detach from {qualified(*old.partition_of)}")
            if new.partition_of is not None:
                self.emit(POST, key, f"ALTER TABLE {qualified(*new.partition_of)} ATTACH PARTITION {name} {new.partition_bound}",
                          [Hazard.MAY_FAIL, Hazard.LOCKS_TABLE], f"table {name}")
                details.append(f"attach to {qualified(*new.partition_of)} {new.partition_bound}")
        for parent in old.inherits:
            if parent not in new.inherits:
                self.emit(PRE, key, f"ALTER TABLE {name} NO INHERIT {qualified(*parent)}")
                details.append(f"no longer inherits {qualified(*parent)}")
        for parent in new.inherits:
            if parent not in old.inherits:
                self.emit(POST, key, f"ALTER TABLE {name} INHERIT {qualified(*parent)}", [Hazard.LOCKS_TABLE], f"table {name}")
                details.append(f"inherits {qualified(*parent)}")
        if old.unlogged != new.unlogged:
            self.emit(POST, key, f"ALTER TABLE {name} SET {'UNLOGGED' if new.unlogged else 'LOGGED'}", [Hazard.REWRITES_TABLE], f"table {name}")
            details.append("unlogged" if new.unlogged else "logged")
        if old.options != new.options:
            # Reset and set again, so that the catalog holds them in the target's order.
            if old.options:
                self.emit(POST, key, f"ALTER TABLE {name} RESET ({', '.join(option.split('=')[0] for option in old.options)})")
            if new.options:
                self.emit(POST, key, f"ALTER TABLE {name} SET ({', '.join(new.options)})")
            details.append("storage parameters " + (", ".join(new.options) or "reset"))
        if old.rls_enabled != new.rls_enabled:
            self.emit(POST, key, f"ALTER TABLE {name} {'ENABLE' if new.rls_enabled else 'DISABLE'} ROW LEVEL SECURITY")
            details.append("row level security " + ("enabled" if new.rls_enabled else "disabled"))
        if old.rls_forced != new.rls_forced:
            self.emit(POST, key, f"ALTER TABLE {name} {'' if new.rls_forced else 'NO '}FORCE ROW LEVEL SECURITY")
            details.append("row level security " + ("forced" if new.rls_forced else "not forced"))
        if old.replica_identity != new.replica_identity:
            self._replica_identity(new)
            details.append(f"replica identity {new.replica_identity}")
        details += self._comment(key, old, new)
        return details

    def _alter_column(self, key: Key, old_obj: TableColumn, new_obj: TableColumn) -> list[str]:
        old, new = old_obj.column, new_obj.column
        prefix = f"ALTER TABLE {new_obj.table.display} ALTER COLUMN {quote_ident(new.name)}"
        subject = f"column {new_obj.display}"
        details = []
        identity_dropped = old.identity is not None and (
            new.identity is None or
            (old.identity.sequence_schema, old.identity.sequence_name) != (new.identity.sequence_schema, new.identity.sequence_name)
        )
        if identity_dropped:
            # Before anything else, so that a sequence taking over its name can be created.
            self.emit(PRE, key, f"{prefix} DROP IDENTITY")
            details.append("drop identity")
        if old.generated is not None and new.generated is None:
            self.emit(POST, key, f"{prefix} DROP EXPRESSION")
            details.append("no longer generated")
        retype = key in self.retyped
        default_cleared = False
        if old.default is not None and key in self.default_reset:
            self.emit(PRE, key, f"{prefix} DROP DEFAULT")
            default_cleared = True
        elif old.default is not None and (retype or new.default is None):
            self.emit(POST, key, f"{prefix} DROP DEFAULT")
            default_cleared = True
        if retype:
            collate = f" COLLATE {new.collation}" if new.collation else ""
            if old.type == new.type and old.collation == new.collation:
                using = f"{quote_ident(new.name)}::{_cast_target(new.type)}::{new.type}"
                hazards = frozenset({Hazard.REWRITES_TABLE, Hazard.MAY_FAIL})
                details.append(f"type {new.type} rebuilt")
            else:
                using = f"{quote_ident(new.name)}::{new.type}"
                hazards = _type_change_hazards(old.type, new.type) if old.type != new.type else frozenset({Hazard.REWRITES_TABLE})
                details.append(f"type {old.type} -> {new.type}" if old.type != new.type else f"collation {old.collation} -> {new.collation}")
            self.emit(POST, key, f"{prefix} TYPE {new.type}{collate} USING {using}", hazards, subject)
        if new.default is not None and (default_cleared or new.default != old.default):
            self.emit(POST, key, f"{prefix} SET DEFAULT {new.default}")
        if old.default != new.default:
            details.append(f"default {old.default or 'none'} -> {new.default or 'none'}")
        table_name = new_obj.table.display
        if old.not_null != new.not_null:
            if new.not_null:
                if new.not_null_name not in (None, ddl.default_not_null_name(new_obj.table, new.name)):
                    sql = f"ALTER TABLE {table_name} ADD CONSTRAINT {quote_ident(new.not_null_name)} NOT NULL {quote_ident(new.name)}"
                else:
                    sql = f"{prefix} SET NOT NULL"
                self.emit(POST, key, sql, [Hazard.MAY_FAIL, Hazard.LOCKS_TABLE], subject)
                details.append("set not null")
            else:
                self.emit(POST, key, f"{prefix} DROP NOT NULL")
                details.append("drop not null")
        elif new.not_null and old.not_null_name and new.not_null_name and old.not_null_name != new.not_null_name:
            # Renamed while the column is local: before it joins a parent, after it leaves one.
            phase = PRE if new.inherited and not old.inherited else POST
            self.emit(phase, key, f"ALTER TABLE {table_name} RENAME CONSTRAINT {quote_ident(old.not_null_name)} TO {quote_ident(new.not_null_name)}")
            details.append(f"not null constraint {old.not_null_name} -> {new.not_null_name}")
        if new.identity is not None:
            if old.identity is None or identity_dropped:
                self.emit(POST, key, f"{prefix} ADD {ddl.identity_clause(new_obj.table, new, new.identity)}",
                          [Hazard.LOCKS_TABLE], subject)
                details.append("add identity")
            else:
                clauses = []
                if old.identity.always != new.identity.always:
                    clauses.append(f"SET GENERATED {'ALWAYS' if new.identity.always else 'BY DEFAULT'}")
                before = replace(old.identity.options, data_type=new.identity.options.data_type)
                clauses += ["SET " + clause for clause in ddl.sequence_option_clauses(new.identity.options, with_type=False, compared_to=before)]
                if clauses:
                    self.emit(POST, key, f"{prefix} {' '.join(clauses)}")
                    details.append("identity options")
        if new.comment != old.comment:
            self.emit(POST, key, ddl.comment_statement(f"COLUMN {new_obj.display}", new.comment))
            details.append("comment")
        return details + self._column_settings(key, new_obj.table, new, old)

    def _alter_enum(self, key: Key, old: Enum, new: Enum) -> list[str]:
        details = []
        for position, label in enumerate(new.labels):
            if label in old.labels:
                continue
            if position > 0:
                where = f" AFTER {quote_literal(new.labels[position - 1])}"
            elif old.labels:
                where = f" BEFORE {quote_literal(old.labels[0])}"
            else:
                where = ""
            # A value added in a transaction cannot be used before that transaction commits.
            self.emit(POST, key, f"ALTER TYPE {new.display} ADD VALUE {quote_literal(label)}{where}", transactional=False)
            details.append(f"add value {quote_literal(label)}")
        return details + self._comment(key, old, new)

    def _alter_domain(self, key: Key, old: Domain, new: Domain) -> list[str]:
        name = new.display
        details = []
        if old.default != new.default:
            self.emit(POST, key, f"ALTER DOMAIN {name} " + (f"SET DEFAULT {new.default}" if new.default is not None else "DROP DEFAULT"))
            details.append(f"default {old.default or 'none'} -> {new.default or 'none'}")
        if old.not_null != new.not_null:
            if new.not_null:
                self.emit(POST, key, f"ALTER DOMAIN {name} SET NOT NULL", [Hazard.MAY_FAIL], f"domain {name}")
            else:
                self.emit(POST, key, f"ALTER DOMAIN {name} DROP NOT NULL")
            details.append("not null" if new.not_null else "nullable")
        old_checks = {c.name: c for c in old.checks}
        new_checks = {c.name: c for c in new.checks}
        for check_name, check in old_checks.items():
            if check_name not in new_checks or new_checks[check_name].definition != check.definition:
                self.emit(PRE, key, f"ALTER DOMAIN {name} DROP CONSTRAINT {quote_ident(check_name)}")
                details.append(f"drop check {check_name}")
        for check_name, check in new_checks.items():
            previous = old_checks.get(check_name)
            if previous is None or previous.definition != check.definition:
                self.emit(POST, key, f"ALTER DOMAIN {name} ADD CONSTRAINT {quote_ident(check_name)} {check.definition}", [Hazard.MAY_FAIL], f"domain {name}")
                details.append(f"add check {check_name}")
            if (previous.comment if previous is not None else None) != check.comment:
                self.emit(POST, key, ddl.comment_statement(f"CONSTRAINT {quote_ident(check_name)} ON DOMAIN {name}", check.comment))
        return details + self._comment(key, old, new)

    def _alter_sequence(self, key: Key, old: Sequence, new: Sequence) -> list[str]:
        details = []
        clauses = ddl.sequence_option_clauses(new.options, compared_to=old.options)
        if clauses:
            alter = f"ALTER SEQUENCE {new.display} {' '.join(clauses)}"
            if new.options.minimum > old.options.minimum or new.options.maximum < old.options.maximum:
                # The current value is data and is kept; only when it falls outside the
                # narrower range (where PostgreSQL refuses the ALTER) does it restart at START.
                alter = (
                    f"DO $teamigrate$\nBEGIN\n"
                    f"  IF (SELECT last_value FROM {new.display}) BETWEEN {new.options.minimum} AND {new.options.maximum} THEN\n"
                    f"    {alter};\n  ELSE\n    {alter} RESTART;\n  END IF;\nEND\n$teamigrate$"
                )
            self.emit(POST, key, alter)
            details.append(", ".join(clause.lower() for clause in clauses))
        if old.owned_by != new.owned_by:
            details.append("owned by " + (".".join(quote_ident(part) for part in new.owned_by) if new.owned_by else "none"))
        return details + self._comment(key, old, new)

    def _sequence_ownership(self) -> None:
        for key, sequence in self.target.sequences.items():
            previous = self.source.sequences.get(key)
            recreated = previous is None or key in self.rebuilt
            if sequence.owned_by is None:
                if previous is not None and previous.owned_by is not None and not recreated:
                    self.emit(POST, ("owner", *key[1:]), f"ALTER SEQUENCE {sequence.display} OWNED BY NONE")
                continue
            if recreated or previous is None or previous.owned_by != sequence.owned_by:
                table = qualified(sequence.owned_by[0], sequence.owned_by[1])
                self.emit(POST, ("owner", *key[1:]), f"ALTER SEQUENCE {sequence.display} OWNED BY {table}.{quote_ident(sequence.owned_by[2])}")

    # --- ordering -----------------------------------------------------------

    def _resolve(self, node: Node) -> Node:
        while node in self.alias:
            node = self.alias[node]
        return node

    def ordered(self) -> list[Statement]:
        if not self.steps:
            return []
        involved = {key for _, key in self.steps} | {key for _, key in self.alias}
        edges: dict[Node, set[Node]] = {}

        def edge(before: Node, after: Node) -> None:
            before, after = self._resolve(before), self._resolve(after)
            if before != after:
                edges.setdefault(before, set()).add(after)

        for key in involved:
            edge((PRE, key), (POST, key))
            edge((POST, key), (FINAL, key))
        old_deps = [(a, b) for a, b in self.source.dependencies if a in involved and b in involved]
        old_deps += [(key, b) for key in involved for b in _model_dependencies(key, self.old) if b in involved]
        new_deps = [(a, b) for a, b in self.target.dependencies if a in involved and b in involved]
        new_deps += [(key, b) for key in involved for b in _model_dependencies(key, self.new) if b in involved]
        for dependant, dependency in old_deps:
            edge((PRE, dependant), (PRE, dependency))
            edge((PRE, dependant), (POST, dependency))
            if dependency in self.renamed:
                edge((POST, dependant), (FINAL, dependency))
                edge((FINAL, dependant), (FINAL, dependency))
            # What an altered object stops using may only go once the alteration ran.
            if dependency in self.removed and dependant not in self.removed and dependant not in self.rebuilt:
                edge((POST, dependant), (PRE, dependency))
        for dependant, dependency in new_deps:
            edge((POST, dependency), (POST, dependant))
        nodes = set(self.steps) | set(edges) | {n for targets in edges.values() for n in targets}
        nodes = {self._resolve(n) for n in nodes}
        return [statement for node in _topological(nodes, edges, self._priority) for statement in self.steps.get(node, ())]

    def _priority(self, node: Node) -> tuple[Any, ...]:
        phase, key = node
        ranks = _PRE_RANK if phase == PRE else _POST_RANK
        rank: float = ranks.get(key[0], 50)
        if key[0] == "constraint":
            obj = self.old.get(key) if phase == PRE else self.new.get(key)
            # Foreign keys go first when dropping and last when adding.
            if isinstance(obj, Constraint) and obj.kind == "f":
                rank += -0.5 if phase == PRE else 0.5
        return (phase, rank, key)


def _topological(nodes: set[Node], edges: Mapping[Node, set[Node]], priority: Any) -> list[Node]:
    indegree = dict.fromkeys(nodes, 0)
    for before, afters in edges.items():
        for after in afters:
            if before in indegree and after in indegree:
                indegree[after] += 1
    heap = [(priority(n), n) for n, degree in indegree.items() if degree == 0]
    heapq.heapify(heap)
    done: list[Node] = []
    emitted: set[Node] = set()
    while len(done) < len(nodes):
        if not heap:
            # A cycle: emit its least node and carry on, rather than lose statements.
            rest = min((priority(n), n) for n in nodes if n not in emitted)
            heap.append(rest)
        _, node = heapq.heappop(heap)
        if node in emitted:
            continue
        emitted.add(node)
        done.append(node)
        for after in edges.get(node, ()):
            if after in indegree and after not in emitted:
                indegree[after] -= 1
                if indegree[after] == 0:
                    heapq.heappush(heap, (priority(after), after))
    return done


def diff_schemas(source: Schema, target: Schema, *, include_grants: bool = False) -> Plan:
    """The SQL that turns `source` into `target`, ordered so that it runs."""
    planner = _Planner(source, target, include_grants)
    planner.classify()
    planner.build()
    return Plan(statements=planner.ordered(), changes=planner.changes)

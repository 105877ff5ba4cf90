"""Every object of a schema by key, columns included, and how people name each one in a plan's changes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from teamigrate.schema.model import (
    Column,
    CompositeType,
    Constraint,
    Domain,
    Enum,
    Function,
    Index,
    Key,
    Namespace,
    Policy,
    Schema,
    Table,
    Trigger,
    View,
)
from teamigrate.schema.quoting import qualified, quote_ident

# The Schema fields that map keys to objects (columns live in their tables).
KINDS = (
    "namespaces", "extensions", "types", "sequences", "tables", "constraints", "indexes",
    "views", "functions", "triggers", "policies", "collations",
)
_TABLE_CHILDREN = frozenset({"column", "constraint", "index", "trigger", "policy"})


@dataclass(frozen=True)
class TableColumn:
    """A column in the graph: columns are objects of their own for ordering and changes."""

    table: Table
    column: Column

    @property
    def display(self) -> str:
        return f"{self.table.display}.{quote_ident(self.column.name)}"


def column_key(table: Table, column: Column) -> Key:
    return ("column", table.schema, table.name, column.name)


class SchemaObjects(Mapping[Key, Any]):
    """Every object of a schema by key; columns are looked up in their table only when asked for."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.found: dict[Key, Any] = {}
        for kind in KINDS:
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
                yield column_key(table, column)

    def __len__(self) -> int:
        return len(self.found) + sum(len(table.columns) for table in self.schema.tables.values())


def owner(key: Key, obj: Any, objects: Mapping[Key, Any]) -> Key | None:
    """The relation a column, constraint, index, trigger or policy belongs to."""
    kind = key[0]
    if kind not in _TABLE_CHILDREN:
        return None
    table_key: Key = ("table", key[1], obj.table if kind == "index" else key[2])
    return table_key if kind == "column" or table_key in objects else ("view", *table_key[1:])


def kind_name(obj: Any) -> str:
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


def change_name(obj: Any) -> str:
    if isinstance(obj, Constraint | Trigger | Policy):
        return f"{qualified(obj.schema, obj.table)}.{quote_ident(obj.name)}"
    return str(obj.display)


def change_table(obj: Any) -> str | None:
    if isinstance(obj, TableColumn):
        return obj.table.display
    if isinstance(obj, Constraint | Index | Trigger | Policy):
        return qualified(obj.schema, obj.table)
    if isinstance(obj, Table | View):
        return str(obj.display)
    return None


def subject(obj: Any) -> str:
    """How a hazard names the object it is about: `table public.t`, `column public.t.c`, ..."""
    return f"{kind_name(obj)} {change_name(obj)}"

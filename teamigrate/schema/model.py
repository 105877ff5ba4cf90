"""The schema model: one frozen dataclass per PostgreSQL object kind, equal when the objects are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from teamigrate.schema.quoting import qualified, quote_ident

# An object's identity in the dependency graph: (kind, schema, name[, member]).
Key = tuple[str, ...]


@dataclass(frozen=True, order=True, slots=True)
class Grant:
    grantee: str  # a role name, or PUBLIC
    privilege: str  # SELECT, INSERT, USAGE, EXECUTE, ...
    grantable: bool = False


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    comment: str | None = None
    grants: tuple[Grant, ...] = ()

    @property
    def key(self) -> Key:
        return ("schema", self.name)

    @property
    def display(self) -> str:
        return quote_ident(self.name)


@dataclass(frozen=True, slots=True)
class Extension:
    name: str
    schema: str
    version: str
    comment: str | None = None
    # Not compared: what the server would install without a VERSION clause.
    default_version: str | None = field(default=None, compare=False)

    @property
    def key(self) -> Key:
        return ("extension", self.name)

    @property
    def display(self) -> str:
        return quote_ident(self.name)


@dataclass(frozen=True, slots=True)
class Collation:
    """CREATE COLLATION: only the facts of its provider are kept (pg_dump's form), never the library's version."""

    schema: str
    name: str
    provider: str  # c libc, i icu, b builtin
    lc_collate: str | None = None  # libc
    lc_ctype: str | None = None  # libc
    locale: str | None = None  # icu and builtin
    rules: str | None = None  # icu (PostgreSQL 16+)
    deterministic: bool = True
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("collation", self.schema, self.name)

    @property
    def display(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class DomainCheck:
    name: str
    definition: str  # pg_get_constraintdef: CHECK (...) [NOT VALID]
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class CompositeAttribute:
    name: str
    type: str
    collation: str | None = None


@dataclass(frozen=True, slots=True)
class Enum:
    schema: str
    name: str
    labels: tuple[str, ...]
    comment: str | None = None
    grants: tuple[Grant, ...] = ()

    @property
    def key(self) -> Key:
        return ("type", self.schema, self.name)

    @property
    def display(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Domain:
    schema: str
    name: str
    base_type: str
    default: str | None = None
    not_null: bool = False
    collation: str | None = None
    checks: tuple[DomainCheck, ...] = ()
    comment: str | None = None
    grants: tuple[Grant, ...] = ()

    @property
    def key(self) -> Key:
        return ("type", self.schema, self.name)

    @property
    def display(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class CompositeType:
    schema: str
    name: str
    attributes: tuple[CompositeAttribute, ...]
    comment: str | None = None
    grants: tuple[Grant, ...] = ()

    @property
    def key(self) -> Key:
        return ("type", self.schema, self.name)

    @property
    def display(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class SequenceOptions:
    data_type: str
    start: int
    increment: int
    minimum: int
    maximum: int
    cache: int
    cycle: bool


@dataclass(frozen=True, slots=True)
class Sequence:
    schema: str
    name: str
    options: SequenceOptions
    owned_by: tuple[str, str, str] | None = None  # (schema, table, column)
    comment: str | None = None
    grants: tuple[Grant, ...] = ()

    @property
    def key(self) -> Key:
        return ("sequence", self.schema, self.name)

    @property
    def display(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Identity:
    always: bool  # GENERATED ALWAYS, else BY DEFAULT
    sequence_schema: str
    sequence_name: str
    options: SequenceOptions


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # format_type: with modifiers
    not_null: bool = False
    default: str | None = None
    collation: str | None = None  # only when not the type's default
    identity: Identity | None = None
    generated: str | None = None  # the expression of a generated column
    generated_kind: str = ""  # "s" stored, "v" virtual (PostgreSQL 18)
    inherited: bool = False  # from a parent or partitioned table, managed there
    comment: str | None = None
    not_null_name: str | None = None  # PostgreSQL 18 names NOT NULL constraints
    statistics: int | None = None  # SET STATISTICS, when not the default
    storage: str | None = None  # p plain, e external, m main, x extended; when not the type's
    type_storage: str | None = None  # the type's own, to go back to (SET STORAGE DEFAULT is 16+)


@dataclass(frozen=True, slots=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]
    unlogged: bool = False
    partition_key: str | None = None  # pg_get_partkeydef of a partitioned table
    partition_of: tuple[str, str] | None = None  # parent (schema, name) of a partition
    partition_bound: str | None = None
    inherits: tuple[tuple[str, str], ...] = ()  # plain inheritance parents, in order
    options: tuple[str, ...] = ()  # storage parameters in catalog order (pg_dump shows that order)
    rls_enabled: bool = False
    rls_forced: bool = False
    comment: str | None = None
    grants: tuple[Grant, ...] = ()
    replica_identity: str = "d"  # d default, n nothing, f full, index:NAME

    @property
    def key(self) -> Key:
        return ("table", self.schema, self.name)

    @property
    def display(self) -> str:
        return qualified(self.schema, self.name)

    def column(self, name: str) -> Column | None:
        for column in self.columns:
            if column.name == name:
                return column
        return None


@dataclass(frozen=True, slots=True)
class Constraint:
    schema: str
    table: str
    name: str
    kind: str  # p primary key, u unique, f foreign key, c check, x exclusion
    definition: str  # pg_get_constraintdef, NOT VALID included
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("constraint", self.schema, self.table, self.name)

    @property
    def display(self) -> str:
        return f"{quote_ident(self.name)} on {qualified(self.schema, self.table)}"


@dataclass(frozen=True, slots=True)
class Index:
    schema: str
    table: str
    name: str
    definition: str  # pg_get_indexdef
    comment: str | None = None
    # A partition's index attached to its partitioned table's index: (schema, name) of that index.
    parent: tuple[str, str] | None = None
    # p, u or x: the attached index backs the partition's copy of the parent's constraint.
    constraint_kind: str | None = None
    # The index's column names ("expr" for an expression), from which PostgreSQL names a copy it makes.
    column_names: tuple[str, ...] = field(default=(), compare=False)

    @property
    def key(self) -> Key:
        return ("index", self.schema, self.name)

    @property
    def display(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class View:
    schema: str
    name: str
    definition: str  # pg_get_viewdef
    materialized: bool = False
    options: tuple[str, ...] = ()  # security_barrier=true, check_option=local, ...
    comment: str | None = None
    grants: tuple[Grant, ...] = ()
    column_comments: tuple[tuple[str, str], ...] = ()  # (column, comment)

    @property
    def key(self) -> Key:
        return ("view", self.schema, self.name)

    @property
    def display(self) -> str:
        return qualified(self.schema, self.name)


@dataclass(frozen=True, slots=True)
class Function:
    schema: str
    name: str
    identity_arguments: str  # pg_get_function_identity_arguments: what tells overloads apart
    arguments: str  # pg_get_function_arguments: names and defaults too
    result: str | None  # pg_get_function_result; None for procedures
    kind: str  # f function, p procedure, w window
    definition: str  # pg_get_functiondef
    comment: str | None = None
    grants: tuple[Grant, ...] = ()

    @property
    def key(self) -> Key:
        return ("function", self.schema, self.name, self.identity_arguments)

    @property
    def display(self) -> str:
        return f"{qualified(self.schema, self.name)}({self.identity_arguments})"

    @property
    def keyword(self) -> str:
        return "PROCEDURE" if self.kind == "p" else "FUNCTION"


@dataclass(frozen=True, slots=True)
class Trigger:
    schema: str
    table: str
    name: str
    definition: str  # pg_get_triggerdef
    enabled: str = "O"  # O origin/local, D disabled, R replica, A always
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("trigger", self.schema, self.table, self.name)

    @property
    def display(self) -> str:
        return f"{quote_ident(self.name)} on {qualified(self.schema, self.table)}"


@dataclass(frozen=True, slots=True)
class Policy:
    schema: str
    table: str
    name: str
    command: str  # ALL, SELECT, INSERT, UPDATE, DELETE
    permissive: bool
    roles: tuple[str, ...]
    using: str | None = None
    with_check: str | None = None
    comment: str | None = None

    @property
    def key(self) -> Key:
        return ("policy", self.schema, self.table, self.name)

    @property
    def display(self) -> str:
        return f"{quote_ident(self.name)} on {qualified(self.schema, self.table)}"


def _frozen(mapping: Mapping[Key, object] | None = None) -> Mapping[Key, object]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Schema:
    """Everything teamigrate manages in one database, keyed by object identity."""

    namespaces: Mapping[Key, Namespace] = field(default_factory=_frozen)  # type: ignore[arg-type]
    extensions: Mapping[Key, Extension] = field(default_factory=_frozen)  # type: ignore[arg-type]
    types: Mapping[Key, Enum | Domain | CompositeType] = field(default_factory=_frozen)  # type: ignore[arg-type]
    sequences: Mapping[Key, Sequence] = field(default_factory=_frozen)  # type: ignore[arg-type]
    tables: Mapping[Key, Table] = field(default_factory=_frozen)  # type: ignore[arg-type]
    constraints: Mapping[Key, Constraint] = field(default_factory=_frozen)  # type: ignore[arg-type]
    indexes: Mapping[Key, Index] = field(default_factory=_frozen)  # type: ignore[arg-type]
    views: Mapping[Key, View] = field(default_factory=_frozen)  # type: ignore[arg-type]
    functions: Mapping[Key, Function] = field(default_factory=_frozen)  # type: ignore[arg-type]
    triggers: Mapping[Key, Trigger] = field(default_factory=_frozen)  # type: ignore[arg-type]
    policies: Mapping[Key, Policy] = field(default_factory=_frozen)  # type: ignore[arg-type]
    collations: Mapping[Key, Collation] = field(default_factory=_frozen)  # type: ignore[arg-type]
    # (dependant, dependency) pairs from pg_depend; a column is ("column", schema, table, name).
    dependencies: frozenset[tuple[Key, Key]] = frozenset()
    unmanaged: tuple[str, ...] = ()

    @property
    def object_count(self) -> int:
        return sum(len(getattr(self, name)) for name in _KINDS)


_KINDS = (
    "namespaces", "extensions", "types", "sequences", "tables", "constraints", "indexes",
    "views", "functions", "triggers", "policies", "collations",
)

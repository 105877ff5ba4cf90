"""Read a live database's schema from pg_catalog: one query per object kind, the model built in one pass."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import psycopg
from psycopg.rows import dict_row

from teamigrate.database import mask_url
from teamigrate.errors import DatabaseError

from teamigrate.schema.model import (
    Column,
    CompositeAttribute,
    CompositeType,
    Constraint,
    Domain,
    DomainCheck,
    Enum,
    Extension,
    Function,
    Grant,
    Identity,
    Index,
    Key,
    Namespace,
    Policy,
    Schema,
    Sequence,
    SequenceOptions,
    Table,
    Trigger,
    View,
)

Row = dict[str, Any]

# Catalog oids are fixed by PostgreSQL (pg_*.h); pg_depend names catalogs by them.
PG_CLASS, PG_TYPE, PG_PROC, PG_CONSTRAINT = 1259, 1247, 1255, 2606
PG_TRIGGER, PG_POLICY, PG_NAMESPACE, PG_EXTENSION = 2620, 3256, 2615, 3079


@cache
def query(name: str) -> str:
    return resources.files("teamigrate.schema").joinpath("sql").joinpath(f"{name}.sql").read_text()


def _grants(rows: list[list[Any]] | None) -> tuple[Grant, ...]:
    return tuple(sorted(Grant(grantee, privilege, bool(grantable)) for grantee, privilege, grantable in rows or ()))


def _options(values: list[str] | None) -> tuple[str, ...]:
    return tuple(values or ())


class _Catalog:
    """The rows of one database and the oid -> identity maps needed to read pg_depend."""

    def __init__(self, rows: dict[str, list[Row]], excluded: set[tuple[str, str]]) -> None:
        self.rows = rows
        self.excluded = excluded
        self.keys: dict[tuple[int, int], Key] = {}
        self.columns: dict[tuple[int, int], Key] = {}
        self.relation_names: dict[int, tuple[str, str]] = {}

    def build(self) -> Schema:
        namespaces = {ns.key: ns for ns in self._namespaces()}
        extensions = {ext.key: ext for ext in self._extensions()}
        types = {t.key: t for t in self._types()}
        tables = self._tables()
        sequences = self._sequences(tables)
        table_map = {t.key: t for t in tables.values()}
        constraints = {c.key: c for c in self._constraints()}
        views = {v.key: v for v in self._views()}
        indexes = {i.key: i for i in self._indexes()}
        functions = {f.key: f for f in self._functions()}
        triggers = {t.key: t for t in self._table_children("triggers", self._trigger)}
        policies = {p.key: p for p in self._table_children("policies", self._policy)}
        return Schema(
            namespaces=namespaces, extensions=extensions, types=types, sequences=sequences,
            tables=table_map, constraints=constraints, indexes=indexes, views=views,
            functions=functions, triggers=triggers, policies=policies,
            dependencies=frozenset(self._dependencies()),
            unmanaged=tuple(row["description"] for row in self.rows["unmanaged"]),
        )

    def _namespaces(self) -> Iterable[Namespace]:
        for row in self.rows["namespaces"]:
            ns = Namespace(row["name"], row["comment"], _grants(row["grants"]))
            self.keys[(PG_NAMESPACE, row["oid"])] = ns.key
            yield ns

    def _extensions(self) -> Iterable[Extension]:
        for row in self.rows["extensions"]:
            ext = Extension(row["name"], row["schema"], row["version"], row["comment"], row["default_version"])
            self.keys[(PG_EXTENSION, row["oid"])] = ext.key
            yield ext

    def _types(self) -> Iterable[Enum | Domain | CompositeType]:
        for row in self.rows["types"]:
            kind = row["kind"]
            grants = _grants(row["grants"])
            made: Enum | Domain | CompositeType
            if kind == "e":
                made = Enum(row["schema"], row["name"], tuple(row["labels"] or ()), row["comment"], grants)
            elif kind == "d":
                checks = tuple(DomainCheck(name, definition, comment) for name, definition, comment in row["checks"] or ())
                made = Domain(
                    row["schema"], row["name"], row["base_type"], row["default"], row["not_null"],
                    row["collation"], checks, row["comment"], grants,
                )
            else:
                attributes = tuple(CompositeAttribute(*attribute) for attribute in row["attributes"] or ())
                made = CompositeType(row["schema"], row["name"], attributes, row["comment"], grants)
            self.keys[(PG_TYPE, row["oid"])] = made.key
            if row["typarray"]:
                self.keys[(PG_TYPE, row["typarray"])] = made.key
            if row["typrelid"]:
                # A composite type's attributes depend on their types through its pg_class row.
                self.keys[(PG_CLASS, row["typrelid"])] = made.key
            yield made

    def _tables(self) -> dict[int, Table]:
        identities = self._identity_sequences()
        not_null_names = {(row["table_oid"], row["attnum"]): row["name"] for row in self.rows["not_null_constraints"]}
        columns: dict[int, list[Column]] = {}
        for row in self.rows["columns"]:
            place = (row["table_oid"], row["attnum"])
            sequence = identities.get(place) if row["identity"] else None
            identity = Identity(row["identity"] == "a", *sequence) if sequence is not None else None
            generated = row["generated"]
            columns.setdefault(row["table_oid"], []).append(Column(
                row["name"], row["type"], row["not_null"], None if generated else row["default"],
                row["collation"], identity, row["default"] if generated else None, generated or "",
                row["inherited"], row["comment"], not_null_names.get(place), row["statistics"], row["storage"],
                row["type_storage"],
            ))
        names = {row["oid"]: (row["schema"], row["name"]) for row in self.rows["tables"]}
        tables: dict[int, Table] = {}
        for row in self.rows["tables"]:
            if (row["schema"], row["name"]) in self.excluded:
                continue
            parents = tuple(names[oid] for oid in row["parents"] or () if oid in names)
            table = Table(
                schema=row["schema"], name=row["name"], columns=tuple(columns.get(row["oid"], ())),
                unlogged=row["unlogged"], partition_key=row["partition_key"],
                partition_of=parents[0] if row["is_partition"] and parents else None,
                partition_bound=row["partition_bound"],
                inherits=() if row["is_partition"] else parents,
                options=_options(row["options"]), rls_enabled=row["rls_enabled"], rls_forced=row["rls_forced"],
                comment=row["comment"], grants=_grants(row["grants"]), replica_identity=row["replica_identity"] or "d",
            )
            tables[row["oid"]] = table
            self.keys[(PG_CLASS, row["oid"])] = table.key
            self.relation_names[row["oid"]] = (table.schema, table.name)
        for row in self.rows["columns"]:
            table_name = self.relation_names.get(row["table_oid"])
            if table_name is not None:
                self.columns[(row["table_oid"], row["attnum"])] = ("column", *table_name, row["name"])
        return tables

    def _identity_sequences(self) -> dict[tuple[int, int], tuple[str, str, SequenceOptions]]:
        found = {}
        for row in self.rows["sequences"]:
            if row["owner_deptype"] == "i":
                found[(row["owner_table"], row["owner_column"])] = (row["schema"], row["name"], _sequence_options(row))
        return found

    def _sequences(self, tables: dict[int, Table]) -> dict[Key, Sequence]:
        sequences: dict[Key, Sequence] = {}
        for row in self.rows["sequences"]:
            if row["owner_deptype"] == "i":
                continue
            owned_by = None
            if row["owner_deptype"] == "a":
                column_key = self.columns.get((row["owner_table"], row["owner_column"]))
                if column_key is None:
                    # Owned by a column of an excluded table (the history table's id).
                    continue
                owned_by = (column_key[1], column_key[2], column_key[3])
            sequence = Sequence(row["schema"], row["name"], _sequence_options(row), owned_by, row["comment"], _grants(row["grants"]))
            sequences[sequence.key] = sequence
            self.keys[(PG_CLASS, row["oid"])] = sequence.key
        return sequences

    def _constraints(self) -> Iterable[Constraint]:
        for row in self.rows["constraints"]:
            table = self.relation_names.get(row["table_oid"])
            if table is None:
                continue
            constraint = Constraint(table[0], table[1], row["name"], row["kind"], row["definition"], row["comment"])
            self.keys[(PG_CONSTRAINT, row["oid"])] = constraint.key
            if row["kind"] in "pux" and row["index_oid"]:
                self.keys[(PG_CLASS, row["index_oid"])] = constraint.key
            yield constraint

    def _views(self) -> Iterable[View]:
        for row in self.rows["views"]:
            view = View(
                row["schema"], row["name"], row["definition"], row["materialized"],
                _options(row["options"]), row["comment"], _grants(row["grants"]),
                tuple((name, comment) for name, comment in row["column_comments"] or ()),
            )
            self.keys[(PG_CLASS, row["oid"])] = view.key
            self.relation_names[row["oid"]] = (view.schema, view.name)
            yield view

    def _indexes(self) -> Iterable[Index]:
        for row in self.rows["indexes"]:
            table = self.relation_names.get(row["table_oid"])
            if table is None or row["attached"] or row["constraint_oid"] is not None:
                continue
            index = Index(table[0], table[1], row["name"], row["definition"], row["comment"])
            self.keys[(PG_CLASS, row["oid"])] = index.key
            yield index

    def _functions(self) -> Iterable[Function]:
        for row in self.rows["functions"]:
            function = Function(
                row["schema"], row["name"], row["identity_arguments"], row["arguments"],
                row["result"] if row["kind"] != "p" else None, row["kind"], row["definition"],
                row["comment"], _grants(row["grants"]),
            )
            self.keys[(PG_PROC, row["oid"])] = function.key
            yield function

    def _table_children(self, kind: str, make: Any) -> Iterable[Any]:
        catalog = PG_TRIGGER if kind == "triggers" else PG_POLICY
        for row in self.rows[kind]:
            table = self.relation_names.get(row["table_oid"])
            if table is None:
                continue
            made = make(table, row)
            self.keys[(catalog, row["oid"])] = made.key
            yield made

    @staticmethod
    def _trigger(table: tuple[str, str], row: Row) -> Trigger:
        return Trigger(table[0], table[1], row["name"], row["definition"], row["enabled"], row["comment"])

    @staticmethod
    def _policy(table: tuple[str, str], row: Row) -> Policy:
        return Policy(
            table[0], table[1], row["name"], row["command"], row["permissive"], tuple(row["roles"] or ()),
            row["using_expression"], row["check_expression"], row["comment"],
        )

    def _resolve(self, classid: int, objid: int, objsubid: int) -> Key | None:
        if classid == PG_CLASS and objsubid:
            column = self.columns.get((objid, objsubid))
            if column is not None:
                return column
        return self.keys.get((classid, objid))

    def _dependencies(self) -> Iterable[tuple[Key, Key]]:
        for row in self.rows["extension_members"]:
            extension = self.keys.get((PG_EXTENSION, row["extension_oid"]))
            if extension is not None:
                self.keys.setdefault((row["classid"], row["objid"]), extension)
        for row in self.rows["dependencies"]:
            dependant = self._resolve(row["classid"], row["objid"], row["objsubid"])
            if dependant is None or dependant[0] == "sequence":
                # A sequence's only dependency on a column is OWNED BY, modelled on the sequence.
                continue
            dependency = self._resolve(row["refclassid"], row["refobjid"], row["refobjsubid"])
            if dependency is not None and dependency != dependant:
                yield dependant, dependency


def _sequence_options(row: Row) -> SequenceOptions:
    return SequenceOptions(
        row["data_type"], row["start"], row["increment"], row["minimum"], row["maximum"], row["cache"], row["cycle"],
    )


_QUERIES = (
    "namespaces", "extensions", "types", "tables", "columns", "not_null_constraints", "sequences", "constraints", "views",
    "indexes", "functions", "triggers", "policies", "dependencies", "extension_members", "unmanaged",
)


MINIMUM_SERVER_VERSION = 150000


def introspect(conn: psycopg.Connection, *, exclude_tables: Iterable[tuple[str, str]] = ()) -> Schema:
    if conn.info.server_version < MINIMUM_SERVER_VERSION:
        raise DatabaseError(
            "TM320", f"the database runs PostgreSQL {conn.info.server_version // 10000}; teamigrate reads 15 and later",
            "upgrade the server, or point teamigrate at a PostgreSQL 15+ server",
        )
    rows: dict[str, list[Row]] = {}
    try:
        # A caller's open transaction (uncommitted DDL to read) is one snapshot already.
        own_transaction = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        # One snapshot for every query, so that a concurrent DDL cannot tear the model.
        with conn.transaction():
            with conn.cursor(row_factory=dict_row) as cur:
                if own_transaction:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                # With only pg_catalog on the path, every deparser qualifies user objects,
                # so the DDL built from its output runs whatever the applying session's path.
                cur.execute("SET LOCAL search_path = pg_catalog")
                for name in _QUERIES:
                    cur.execute(query(name))
                    rows[name] = cur.fetchall()
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError("TM321", f"reading the catalog failed: {mask_url(message)}", "check that the role may read pg_catalog, and run again") from None
    return _Catalog(rows, set(exclude_tables)).build()

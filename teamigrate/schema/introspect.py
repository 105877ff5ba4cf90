"""Read a live database's schema from pg_catalog: one query per object kind, the model built in one pass."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any, TypeVar

import psycopg

from teamigrate.database import mask_url
from teamigrate.errors import DatabaseError

from teamigrate.schema.model import (
    Collation,
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

Row = tuple[Any, ...]
T = TypeVar("T")

# Catalog oids are fixed by PostgreSQL (pg_*.h); pg_depend and pg_description name catalogs by them.
PG_CLASS, PG_TYPE, PG_PROC, PG_CONSTRAINT = 1259, 1247, 1255, 2606
PG_TRIGGER, PG_POLICY, PG_NAMESPACE, PG_EXTENSION = 2620, 3256, 2615, 3079
PG_COLLATION = 3456


@cache
def query(name: str) -> str:
    return resources.files("teamigrate.schema").joinpath("sql").joinpath(f"{name}.sql").read_text()


def _grants(rows: list[list[Any]] | None) -> tuple[Grant, ...]:
    return tuple(sorted(Grant(grantee, privilege, bool(grantable)) for grantee, privilege, grantable in rows or ()))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _options(values: list[str] | None) -> tuple[str, ...]:
    return tuple(values or ())


class _Rows:
    """Each query's rows, read when the model first needs them.

    Rows are tuples in the column order of their query, unpacked by name where they are read.
    Reading as the model is built, rather than all before, lets one database's model be
    built while the server answers another's queries (`introspect_all`).
    """

    def __init__(self, cur: psycopg.Cursor[Row]) -> None:
        self.cur = cur
        self.read: dict[str, list[Row]] = {}

    def __getitem__(self, name: str) -> list[Row]:
        rows = self.read.get(name)
        if rows is None:
            self.cur.execute(query(name))
            rows = self.read[name] = self.cur.fetchall()
        return rows


# Every query the model is built from, in the order the build first asks for them.
QUERIES = (
    "descriptions", "namespaces", "extensions", "collations", "types", "not_null_constraints", "columns", "tables", "sequences",
    "constraints", "views", "indexes", "functions", "triggers", "policies", "extension_members", "dependencies", "unmanaged",
)


class CatalogRows:
    """Every query's rows of one database, read in one snapshot: the model is built from them after the session has
    gone (so that the database can be dropped meanwhile: the proof's copy)."""

    def __init__(self, read: dict[str, list[Row]]) -> None:
        self.read = read

    def __getitem__(self, name: str) -> list[Row]:
        return self.read[name]

    def schema(self, *, exclude_tables: Iterable[tuple[str, str]] = ()) -> Schema:
        with _collector_paused():
            return _Catalog(self, set(exclude_tables)).build()


class _Catalog:
    """The rows of one database and the oid -> identity maps needed to read pg_depend."""

    def __init__(self, rows: _Rows | CatalogRows, excluded: set[tuple[str, str]]) -> None:
        self.rows = rows
        self.excluded = excluded
        self.comments: dict[tuple[int, int, int], str] = {
            (classoid, objoid, objsubid): description for classoid, objoid, objsubid, description in rows["descriptions"]
        }
        self.keys: dict[tuple[int, int], Key] = {}
        self.columns: dict[tuple[int, int], Key] = {}
        self.relation_names: dict[int, tuple[str, str]] = {}

    def comment(self, catalog: int, oid: int) -> str | None:
        return self.comments.get((catalog, oid, 0))

    def build(self) -> Schema:
        namespaces = {ns.key: ns for ns in self._namespaces()}
        extensions = {ext.key: ext for ext in self._extensions()}
        collations = {c.key: c for c in self._collations()}
        types = {t.key: t for t in self._types()}
        tables = self._tables()
        sequences = self._sequences(tables)
        table_map = {t.key: t for t in tables.values()}
        constraints = {c.key: c for c in self._constraints()}
        views = {v.key: v for v in self._views()}
        indexes = {i.key: i for i in self._indexes()}
        functions = {f.key: f for f in self._functions()}
        triggers = {t.key: t for t in self._triggers()}
        policies = {p.key: p for p in self._policies()}
        return Schema(
            namespaces=namespaces, extensions=extensions, types=types, sequences=sequences,
            tables=table_map, constraints=constraints, indexes=indexes, views=views,
            functions=functions, triggers=triggers, policies=policies, collations=collations,
            dependencies=self._dependencies(),
            unmanaged=tuple(description for (description,) in self.rows["unmanaged"]),
        )

    def _namespaces(self) -> Iterable[Namespace]:
        for oid, name, grants in self.rows["namespaces"]:
            ns = Namespace(name, self.comment(PG_NAMESPACE, oid), _grants(grants))
            self.keys[(PG_NAMESPACE, oid)] = ns.key
            yield ns

    def _extensions(self) -> Iterable[Extension]:
        for oid, name, schema, version, default_version in self.rows["extensions"]:
            ext = Extension(name, schema, version, self.comment(PG_EXTENSION, oid), default_version)
            self.keys[(PG_EXTENSION, oid)] = ext.key
            yield ext

    def _collations(self) -> Iterable[Collation]:
        for oid, schema, name, provider, lc_collate, lc_ctype, locale, rules, deterministic in self.rows["collations"]:
            # Only what CREATE COLLATION takes for its provider: 15 fills libc's fields for an ICU collation too.
            libc = provider == "c"
            collation = Collation(
                schema, name, provider, lc_collate if libc else None, lc_ctype if libc else None,
                None if libc else locale, None if libc else rules, deterministic, self.comment(PG_COLLATION, oid),
            )
            self.keys[(PG_COLLATION, oid)] = collation.key
            yield collation

    def _types(self) -> Iterable[Enum | Domain | CompositeType]:
        for (oid, typarray, typrelid, schema, name, kind, labels, base_type, default, not_null, collation,
             checks, attributes, grants) in self.rows["types"]:
            comment = self.comment(PG_TYPE, oid)
            made: Enum | Domain | CompositeType
            if kind == "e":
                made = Enum(schema, name, tuple(labels or ()), comment, _grants(grants))
            elif kind == "d":
                domain_checks = tuple(DomainCheck(check_name, definition, check_comment) for check_name, definition, check_comment in checks or ())
                made = Domain(schema, name, base_type, default, not_null, collation, domain_checks, comment, _grants(grants))
            else:
                made = CompositeType(schema, name, tuple(CompositeAttribute(*attribute) for attribute in attributes or ()), comment, _grants(grants))
            self.keys[(PG_TYPE, oid)] = made.key
            if typarray:
                self.keys[(PG_TYPE, typarray)] = made.key
            if typrelid:
                # A composite type's attributes depend on their types through its pg_class row.
                self.keys[(PG_CLASS, typrelid)] = made.key
            yield made

    def _tables(self) -> dict[int, Table]:
        identities = self._identity_sequences()
        not_null_names = {(table_oid, attnum): name for table_oid, attnum, name in self.rows["not_null_constraints"]}
        all_names = {oid: (schema, name) for oid, schema, name, *_ in self.rows["tables"]}
        kept = {oid: name for oid, name in all_names.items() if name not in self.excluded}
        comments, column_keys = self.comments, self.columns
        columns: dict[int, list[Column]] = {oid: [] for oid in kept}
        for (table_oid, attnum, name, type_, not_null, default, identity_kind, generated, inherited, collation,
             statistics, storage, type_storage) in self.rows["columns"]:
            table_columns = columns.get(table_oid)
            if table_columns is None:
                continue
            place = (table_oid, attnum)
            identity = None
            if identity_kind:
                sequence = identities.get(place)
                if sequence is not None:
                    identity = Identity(identity_kind == "a", *sequence)
            # Positional: 14,000 columns are a measurable cost with keywords.
            table_columns.append(Column(
                name, type_, not_null, None if generated else default, collation, identity,
                default if generated else None, generated or "", inherited, comments.get((PG_CLASS, table_oid, attnum)),
                not_null_names.get(place), statistics, storage, type_storage,
            ))
            column_keys[place] = ("column", *kept[table_oid], name)
        tables: dict[int, Table] = {}
        for (oid, schema, name, unlogged, options, rls_enabled, rls_forced, partition_key, is_partition,
             replica_identity, partition_bound, parent_oids, grants) in self.rows["tables"]:
            if oid not in kept:
                continue
            parents = tuple(all_names[parent] for parent in parent_oids or () if parent in all_names)
            table = Table(
                schema=schema, name=name, columns=tuple(columns[oid]), unlogged=unlogged, partition_key=partition_key,
                partition_of=parents[0] if is_partition and parents else None, partition_bound=partition_bound,
                inherits=() if is_partition else parents,
                options=_options(options), rls_enabled=rls_enabled, rls_forced=rls_forced,
                comment=self.comment(PG_CLASS, oid), grants=_grants(grants), replica_identity=replica_identity or "d",
            )
            tables[oid] = table
            self.keys[(PG_CLASS, oid)] = table.key
            self.relation_names[oid] = (schema, name)
        return tables

    def _identity_sequences(self) -> dict[tuple[int, int], tuple[str, str, SequenceOptions]]:
        return {
            (owner_table, owner_column): (schema, name, SequenceOptions(data_type, start, increment, minimum, maximum, cache, cycle))
            for (_oid, schema, name, data_type, start, increment, minimum, maximum, cache, cycle,
                 owner_deptype, owner_table, owner_column, _grants_rows) in self.rows["sequences"]
            if owner_deptype == "i"
        }

    def _sequences(self, tables: dict[int, Table]) -> dict[Key, Sequence]:
        sequences: dict[Key, Sequence] = {}
        for (oid, schema, name, data_type, start, increment, minimum, maximum, cache, cycle,
             owner_deptype, owner_table, owner_column, grants) in self.rows["sequences"]:
            if owner_deptype == "i":
                continue
            owned_by = None
            if owner_deptype == "a":
                column_key = self.columns.get((owner_table, owner_column))
                if column_key is None:
                    # Owned by a column of an excluded table (the history table's id).
                    continue
                owned_by = (column_key[1], column_key[2], column_key[3])
            options = SequenceOptions(data_type, start, increment, minimum, maximum, cache, cycle)
            sequence = Sequence(schema, name, options, owned_by, self.comment(PG_CLASS, oid), _grants(grants))
            sequences[sequence.key] = sequence
            self.keys[(PG_CLASS, oid)] = sequence.key
        return sequences

    def _constraints(self) -> Iterable[Constraint]:
        relation_names, keys, comments = self.relation_names, self.keys, self.comments
        for oid, table_oid, name, kind, definition, index_oid in self.rows["constraints"]:
            table = relation_names.get(table_oid)
            if table is None:
                continue
            constraint = Constraint(table[0], table[1], name, kind, definition, comments.get((PG_CONSTRAINT, oid, 0)))
            keys[(PG_CONSTRAINT, oid)] = constraint.key
            if kind in "pux" and index_oid:
                keys[(PG_CLASS, index_oid)] = constraint.key
            yield constraint

    def _views(self) -> Iterable[View]:
        for oid, schema, name, materialized, definition, options, column_comments, grants in self.rows["views"]:
            view = View(
                schema, name, definition, materialized, _options(options), self.comment(PG_CLASS, oid), _grants(grants),
                tuple((column, comment) for column, comment in column_comments or ()),
            )
            self.keys[(PG_CLASS, oid)] = view.key
            self.relation_names[oid] = (schema, name)
            yield view

    def _indexes(self) -> Iterable[Index]:
        relation_names, keys, comments = self.relation_names, self.keys, self.comments
        rows = self.rows["indexes"]
        names = {oid: (relation_names[table_oid][0], name) for oid, table_oid, name, *_ in rows if table_oid in relation_names}
        for oid, table_oid, name, definition, parent_oid, constraint_backed, column_names, constraint_kind in rows:
            table = relation_names.get(table_oid)
            if table is None or (constraint_backed and parent_oid is None):
                continue
            index = Index(
                table[0], table[1], name, definition, comments.get((PG_CLASS, oid, 0)),
                names.get(parent_oid) if parent_oid is not None else None, constraint_kind, tuple(column_names or ()),
            )
            keys[(PG_CLASS, oid)] = index.key
            yield index

    def _functions(self) -> Iterable[Function]:
        for oid, schema, name, kind, identity_arguments, arguments, result, definition, grants in self.rows["functions"]:
            function = Function(
                schema, name, identity_arguments, arguments, result if kind != "p" else None, kind, definition,
                self.comment(PG_PROC, oid), _grants(grants),
            )
            self.keys[(PG_PROC, oid)] = function.key
            yield function

    def _triggers(self) -> Iterable[Trigger]:
        for oid, table_oid, name, definition, enabled in self.rows["triggers"]:
            table = self.relation_names.get(table_oid)
            if table is None:
                continue
            trigger = Trigger(table[0], table[1], name, definition, enabled, self.comment(PG_TRIGGER, oid))
            self.keys[(PG_TRIGGER, oid)] = trigger.key
            yield trigger

    def _policies(self) -> Iterable[Policy]:
        for oid, table_oid, name, command, permissive, roles, using_expression, check_expression in self.rows["policies"]:
            table = self.relation_names.get(table_oid)
            if table is None:
                continue
            policy = Policy(
                table[0], table[1], name, command, permissive, tuple(roles or ()),
                using_expression, check_expression, self.comment(PG_POLICY, oid),
            )
            self.keys[(PG_POLICY, oid)] = policy.key
            yield policy

    def _dependencies(self) -> frozenset[tuple[Key, Key]]:
        keys, columns = self.keys, self.columns
        for classid, objid, extension_oid in self.rows["extension_members"]:
            extension = keys.get((PG_EXTENSION, extension_oid))
            if extension is not None:
                keys.setdefault((classid, objid), extension)
        found = set()
        # Tens of thousands of rows, so the lookups are inlined: (pg_class, table, attnum) is a column
        # of a table; anything else (a view's column too) stands for its whole object.
        for classid, objid, objsubid, refclassid, refobjid, refobjsubid in self.rows["dependencies"]:
            dependant = (classid == PG_CLASS and objsubid and columns.get((objid, objsubid))) or keys.get((classid, objid))
            if dependant is None or dependant[0] == "sequence":
                # A sequence's only dependency on a column is OWNED BY, modelled on the sequence.
                continue
            dependency = (refclassid == PG_CLASS and refobjsubid and columns.get((refobjid, refobjsubid))) or keys.get((refclassid, refobjid))
            if dependency is not None and dependency != dependant:
                found.add((dependant, dependency))
        return frozenset(found)


MINIMUM_SERVER_VERSION = 150000


class _CollectorPause:
    """Keeps the cyclic garbage collector off while any thread reads a catalog.

    A 2,000-table database is some 100,000 rows and model objects, all kept: while they
    are made, the collector walks the growing heap again and again (a third of the build
    time) and finds nothing; paused, it walks them once, afterwards. Counted, so that
    two introspections side by side turn it back on once, when both are done.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._resume:
                    gc.enable()


_collector_paused = _CollectorPause()
# For a caller whose schemas are garbage by the end of its block (the proof's reached schema): the collector never walks them.
collector_paused = _collector_paused


def introspect(conn: psycopg.Connection, *, exclude_tables: Iterable[tuple[str, str]] = ()) -> Schema:
    return _reading(conn, lambda rows: _Catalog(rows, set(exclude_tables)).build())


def object_tally(conn: psycopg.Connection) -> tuple[int, ...] | None:
    """How many user objects of each kind the database holds (tally.sql): unequal tallies, unequal schemas. None when
    it cannot be read (the introspection that follows says why)."""
    try:
        row = conn.execute(query("tally")).fetchone()
    except psycopg.Error:
        return None
    return tuple(row) if row is not None else None


# The queries a second session reads (read_catalog's `beside`): about half of the server's time, in a cold session.
_BESIDE = ("indexes", "columns", "sequences", "not_null_constraints", "unmanaged", "types", "descriptions", "collations")


def read_catalog(conn: psycopg.Connection, beside: psycopg.Connection | None = None) -> CatalogRows:
    """introspect's rows, all read now: build the model with `.schema()` once the session is closed.

    `beside`: another session on the same database, idle, which reads about half of the queries at the same time, in
    the first one's snapshot (pg_export_snapshot): the rows are the ones one session would read. Not beside a caller's
    open transaction (a snapshot of it cannot be exported)."""
    if beside is None or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return _reading(conn, lambda rows: CatalogRows({name: rows[name] for name in QUERIES}))

    def read(rows: _Rows) -> CatalogRows:
        row = rows.cur.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The snapshot stays importable while this transaction is open: until the other session's rows are in.
            there = pool.submit(_reading, beside, lambda other: {name: other[name] for name in _BESIDE}, row[0])
            here = {name: rows[name] for name in QUERIES if name not in _BESIDE}
            return CatalogRows({**here, **there.result()})

    return _reading(conn, read)


def _reading(conn: psycopg.Connection, read: Callable[[_Rows], T], snapshot: str | None = None) -> T:
    if conn.info.server_version < MINIMUM_SERVER_VERSION:
        raise DatabaseError(
            "TM320", f"the database runs PostgreSQL {conn.info.server_version // 10000}; teamigrate reads 15 and later",
            "upgrade the server, or point teamigrate at a PostgreSQL 15+ server",
        )
    try:
        # A caller's open transaction (uncommitted DDL to read) is one snapshot already.
        own_transaction = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        # One snapshot for every query, so that a concurrent DDL cannot tear the model.
        with _collector_paused(), conn.transaction(), conn.cursor() as cur:
            if own_transaction:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            if snapshot is not None:
                cur.execute("SET TRANSACTION SNAPSHOT " + _literal(snapshot))
            # With only pg_catalog on the path, every deparser qualifies user objects,
            # so the DDL built from its output runs whatever the applying session's path.
            cur.execute("SET LOCAL search_path = pg_catalog")
            return read(_Rows(cur))
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError("TM321", f"reading the catalog failed: {mask_url(message)}", "check that the role may read pg_catalog, and run again") from None

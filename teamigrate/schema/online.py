"""Online-safe migrations: a plan split into steps that never keep a busy table locked while they scan or build.

On a table that already holds rows (one the plan does not create), the plain forms lock it for as long as
PostgreSQL reads it: CREATE INDEX blocks writes while it builds, ADD CONSTRAINT (foreign key, check) and
SET NOT NULL scan every row under their lock. Split instead (as strong_migrations and pg-schema-diff do):

1. the plan, with foreign keys and checks added NOT VALID (quick: no scan), a NOT NULL added as a
   `CHECK (col IS NOT NULL) NOT VALID` and indexes left out;
2. `validate`: VALIDATE CONSTRAINT scans under SHARE UPDATE EXCLUSIVE, which lets reads and writes go on;
3. `set_not_null`: SET NOT NULL, which PostgreSQL 12+ proves from the validated check without a scan, then
   the check dropped;
4. `indexes`: CREATE / DROP INDEX CONCURRENTLY, outside a transaction (a migration of its own).

Each step is a plan between two schemas (the steps' schemas are built here, from the two ends), with
its down plan. An index or constraint on a table created (or recreated) by the plan keeps its plain
form: that table is empty. Objects the plan cannot move safely (a dropped index something depends on,
an index on a column the plan drops or retypes, a NOT NULL that a new primary key or identity needs)
stay in the first step too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from teamigrate.schema import ddl
from teamigrate.schema.diff import diff_schemas
from teamigrate.schema.diff.classify import Classification, classify
from teamigrate.schema.diff.objects import SchemaObjects
from teamigrate.schema.model import Column, Constraint, Index, Key, Schema, Table
from teamigrate.schema.plan import Hazard, Plan, Statement
from teamigrate.schema.quoting import qualified, quote_ident

GUIDE = "docs/18-deploying-without-downtime.md"
REWRITE_NOTE = f"-- a busy table is locked while it is rewritten: expand and contract instead, see {GUIDE}"
_MAX_IDENTIFIER = 63  # bytes: PostgreSQL cuts longer names
# The steps in order, by the suffix of their migration's name, and the line each migration's header gives it.
_PURPOSES = {
    "": "",
    "validate": "Validates the constraints the previous migration added NOT VALID: reads and writes go on while it scans.",
    "set_not_null": "SET NOT NULL proven by the validated check (no scan, PostgreSQL 12+), then the check dropped.",
    "indexes": "Builds and drops indexes CONCURRENTLY: outside a transaction, writes go on meanwhile.",
    "unique": "Turns each unique index the previous migration built into its constraint (USING INDEX: no scan, a brief lock).",
}
# A unique constraint on plain columns, which a unique index built beforehand can stand for.
_UNIQUE_COLUMNS = re.compile(r"^UNIQUE (\([^()]*\))$")


@dataclass(frozen=True)
class OnlineStep:
    """One migration of the split: its plan, the plan back, and the schema it leaves."""

    suffix: str  # added to the migration's name ("" for the first step)
    purpose: str  # one line for the migration's header
    up: Plan
    down: Plan
    reaches: Schema
    # Lint rules that cannot see why this step is safe (`-- teamigrate: allow`): the validated check makes
    # SET NOT NULL skip its scan, and the check it drops was only ever this split's.
    allow: tuple[str, ...] = ()

    @property
    def transactional(self) -> bool:
        return self.up.transactional


@dataclass
class _Moves:
    indexes_created: dict[Key, Index]
    indexes_dropped: dict[Key, Index]
    constraints: dict[Key, Constraint]  # added NOT VALID first
    not_null: list[tuple[Table, Column, Constraint]]  # table and column as wanted, the check that stands in
    uniques: dict[Key, Constraint]  # built as a unique index CONCURRENTLY, then added USING INDEX

    @property
    def any(self) -> bool:
        return bool(self.indexes_created or self.indexes_dropped or self.constraints or self.not_null or self.uniques)


def locks_while_scanning(before: Schema, after: Schema) -> bool:
    """Whether the plain plan from `before` to `after` would keep a table that holds rows locked while it scans or builds."""
    return _moves(before, after, classify(before, after, SchemaObjects(before), SchemaObjects(after))).any


def online_steps(before: Schema, after: Schema, plan: Plan) -> list[OnlineStep]:
    """The steps from `before` to `after`: one (the plan itself) when nothing in it would hold a lock while it scans."""
    classified = classify(before, after, SchemaObjects(before), SchemaObjects(after))
    moves = _moves(before, after, classified)
    if not moves.any:
        return [OnlineStep("", "", _noted(plan), diff_schemas(after, before) if not plan.is_empty else Plan(), after)]
    dependencies = before.dependencies | after.dependencies
    added = _with_not_valid(_with_indexes_as_before(after, before, moves), moves)
    added = replace(added, dependencies=dependencies)
    validated = _validated(added, moves)
    not_null_set = replace(validated, tables=after.tables, constraints={
        key: value for key, value in validated.constraints.items() if key not in {check.key for _, _, check in moves.not_null}
    })
    # Until the index step, the moved indexes are as `before` has them.
    states = [before, added, validated, not_null_set, _with_unique_indexes(after, moves), after]
    steps: list[OnlineStep] = []
    for number, suffix in enumerate(_PURPOSES):
        source, target = states[number], states[number + 1]
        if suffix == "set_not_null":
            up = _set_not_null_plan(moves)
        elif suffix == "unique":
            up = _unique_plan(moves)
        else:
            up = diff_schemas(source, target)
        down = diff_schemas(target, source)
        if suffix in ("indexes", "unique"):
            up, down = _concurrently(up) if suffix == "indexes" else up, _concurrently(down)
        if up.is_empty:
            continue
        allow = ("adding-not-nullable-field", "constraint-missing-not-valid", "ban-drop-constraint") if suffix == "set_not_null" else ()
        steps.append(OnlineStep(suffix, _PURPOSES[suffix], _noted(up) if suffix == "" else up, down, target, allow))
    return steps


def _moves(before: Schema, after: Schema, classified: Classification) -> _Moves:
    existing = {key for key, table in after.tables.items() if _existing(key, table, before, classified)}
    disrupted = classified.removed | classified.rebuilt | classified.retyped
    # A column dropped, rebuilt or retyped takes its indexes with it (or PostgreSQL rebuilds them): those stay.
    quiet = existing - {("table", key[1], key[2]) for key in disrupted if key[0] == "column"}
    depended_on = {dependency for _, dependency in before.dependencies | after.dependencies}
    # So does an index that uses something else the plan drops or rebuilds (an extension's operator class, a function).
    leaning = {dependant for dependant, dependency in before.dependencies if dependency in disrupted}
    taken_names = {(c.schema, c.name) for c in after.constraints.values()} | {(key[1], key[2]) for key in after.tables}
    created = {
        key: index for key, index in after.indexes.items()
        if _table_key(index) in quiet and _definition(before.indexes.get(key)) != index.definition and key not in depended_on
        and key not in leaning
    }
    dropped = {
        key: index for key, index in before.indexes.items()
        if _table_key(index) in quiet and _definition(after.indexes.get(key)) != index.definition and key not in depended_on
        and key not in leaning and (key in after.indexes or (index.schema, index.name) not in taken_names)
    }
    constraints = {
        key: constraint for key, constraint in after.constraints.items()
        if constraint.kind in ("f", "c") and _table_key(constraint) in existing and not ddl.is_not_valid(constraint.definition)
        and _added_or_rebuilt(before.constraints.get(key), constraint)
    }
    # A foreign key the plan adds may need a new unique constraint on the table it references at once.
    referenced = " ".join(c.definition for key, c in after.constraints.items() if c.kind == "f" and before.constraints.get(key) != c)
    uniques = {
        key: constraint for key, constraint in after.constraints.items()
        if constraint.kind == "u" and key not in before.constraints and _table_key(constraint) in quiet and key not in depended_on
        and _UNIQUE_COLUMNS.match(constraint.definition) and ("index", constraint.schema, constraint.name) not in before.indexes
        and not any(f"REFERENCES {name}(" in referenced for name in (qualified(constraint.schema, constraint.table), quote_ident(constraint.table)))
    }
    gains_key = {_table_key(c) for key, c in after.constraints.items() if c.kind == "p" and key not in before.constraints}
    not_null = []
    for key in sorted(existing - gains_key):
        table, old = after.tables[key], before.tables[key]
        names = {c.name for c in after.constraints.values() if _table_key(c) == key}
        for column in table.columns:
            previous = old.column(column.name)
            if previous is None or previous.not_null or not column.not_null or column.inherited or column.identity is not None:
                continue
            if ("column", table.schema, table.name, column.name) in classified.rebuilt:
                continue
            check = Constraint(table.schema, table.name, _check_name(table, column, names), "c", f"CHECK (({quote_ident(column.name)} IS NOT NULL)) NOT VALID")
            names.add(check.name)
            not_null.append((table, column, check))
    return _Moves(created, dropped, constraints, not_null, uniques)


def _existing(key: Key, table: Table, before: Schema, classified: Classification) -> bool:
    """A table that holds rows already: in `before`, not recreated. Partitioned tables and partitions are left out:
    a partitioned table takes no CONCURRENTLY, and a partition's indexes and constraints follow its parent's."""
    old = before.tables.get(key)
    return (
        old is not None and key not in classified.rebuilt
        and not any(t.partition_key is not None or t.partition_of is not None for t in (old, table))
    )


def _definition(index: Index | None) -> str | None:
    return index.definition if index is not None else None


def _added_or_rebuilt(old: Constraint | None, new: Constraint) -> bool:
    """Whether the plan adds the constraint (anew, or dropped and added again), checking every row."""
    return old is None or old.kind != new.kind or (old.definition != new.definition and not ddl.only_validated(old.definition, new.definition))


def _table_key(obj: Index | Constraint) -> Key:
    return ("table", obj.schema, obj.table)


def _check_name(table: Table, column: Column, taken: set[str]) -> str:
    base = f"{table.name}_{column.name}_not_null_check"
    name, number = _cut(base), 1
    while name in taken:
        suffix = str(number)
        name, number = _cut(base, len(suffix)) + suffix, number + 1
    return name


def _cut(name: str, room: int = 0) -> str:
    encoded = name.encode("utf-8")[: _MAX_IDENTIFIER - room]
    return encoded.decode("utf-8", errors="ignore")


def _with_indexes_as_before(after: Schema, before: Schema, moves: _Moves) -> Schema:
    indexes = {key: index for key, index in after.indexes.items() if key not in moves.indexes_created}
    indexes.update(moves.indexes_dropped)
    constraints = {key: constraint for key, constraint in after.constraints.items() if key not in moves.uniques}
    return replace(after, indexes=indexes, constraints=constraints)


def _with_unique_indexes(after: Schema, moves: _Moves) -> Schema:
    """`after`, with each moved unique constraint still the unique index it is built from."""
    indexes = dict(after.indexes)
    for constraint in moves.uniques.values():
        index = _unique_index(constraint)
        indexes[index.key] = index
    constraints = {key: constraint for key, constraint in after.constraints.items() if key not in moves.uniques}
    return replace(after, indexes=indexes, constraints=constraints)


def _unique_index(constraint: Constraint) -> Index:
    match = _UNIQUE_COLUMNS.match(constraint.definition)
    assert match is not None
    # As pg_get_indexdef writes the index a unique constraint makes.
    definition = f"CREATE UNIQUE INDEX {quote_ident(constraint.name)} ON {qualified(constraint.schema, constraint.table)} USING btree {match.group(1)}"
    return Index(constraint.schema, constraint.table, constraint.name, definition)


def _unique_plan(moves: _Moves) -> Plan:
    return Plan([
        Statement(
            f"ALTER TABLE {qualified(c.schema, c.table)} ADD CONSTRAINT {quote_ident(c.name)} UNIQUE USING INDEX {quote_ident(c.name)}",
            frozenset({Hazard.LOCKS_TABLE}), subject=f"table {qualified(c.schema, c.table)}",
        )
        for c in moves.uniques.values()
    ])


def _with_not_valid(schema: Schema, moves: _Moves) -> Schema:
    constraints = dict(schema.constraints)
    for key, constraint in moves.constraints.items():
        constraints[key] = replace(constraint, definition=constraint.definition + " NOT VALID")
    tables = dict(schema.tables)
    for table, column, check in moves.not_null:
        key = ("table", table.schema, table.name)
        nullable = replace(column, not_null=False, not_null_name=None)
        tables[key] = replace(tables[key], columns=tuple(nullable if c.name == column.name else c for c in tables[key].columns))
        constraints[check.key] = check
    return replace(schema, tables=tables, constraints=constraints)


def _validated(schema: Schema, moves: _Moves) -> Schema:
    constraints = dict(schema.constraints)
    for key, constraint in moves.constraints.items():
        constraints[key] = constraint
    for _, _, check in moves.not_null:
        constraints[check.key] = replace(check, definition=check.definition.removesuffix(" NOT VALID"))
    return replace(schema, constraints=constraints)


def _set_not_null_plan(moves: _Moves) -> Plan:
    statements = []
    for table, column, check in moves.not_null:
        statements.append(Statement(ddl.set_not_null(table, column), frozenset({Hazard.LOCKS_TABLE}), subject=f"table {table.display}"))
        statements.append(Statement(ddl.drop_statement(check)))
    return Plan(statements)


def _concurrently(plan: Plan) -> Plan:
    """The same index statements, CONCURRENTLY: they cannot run in a transaction, and they block no writes."""
    statements = []
    for statement in plan.statements:
        sql = statement.sql
        for plain in ("CREATE UNIQUE INDEX ", "CREATE INDEX ", "DROP INDEX "):
            if sql.startswith(plain):
                sql = plain + "CONCURRENTLY " + sql[len(plain):]
                break
        statements.append(replace(statement, sql=sql, transactional=False, hazards=statement.hazards - {Hazard.LOCKS_TABLE}))
    return Plan(statements, plan.changes)


def _noted(plan: Plan) -> Plan:
    """A column type change that rewrites its table says how to do it without the lock."""
    statements = [
        replace(statement, sql=f"{REWRITE_NOTE}\n{statement.sql}")
        if Hazard.REWRITES_TABLE in statement.hazards and " TYPE " in statement.sql else statement
        for statement in plan.statements
    ]
    return Plan(statements, plan.changes)

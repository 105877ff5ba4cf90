"""DDL text for creating, dropping and commenting each kind of object in the model."""

from __future__ import annotations

from teamigrate.schema.model import (
    Column,
    CompositeType,
    Constraint,
    Domain,
    Enum,
    Extension,
    Function,
    Grant,
    Identity,
    Index,
    Namespace,
    Policy,
    Sequence,
    SequenceOptions,
    Table,
    Trigger,
    View,
)
from teamigrate.schema.quoting import qualified, quote_ident, quote_literal

_INTEGER_RANGES = {
    "smallint": (-32768, 32767),
    "integer": (-2147483648, 2147483647),
    "bigint": (-9223372036854775808, 9223372036854775807),
}


def sequence_option_clauses(options: SequenceOptions, *, with_type: bool = True, compared_to: SequenceOptions | None = None) -> list[str]:
    """The clauses of CREATE/ALTER SEQUENCE that differ from `compared_to`, or from PostgreSQL's defaults."""
    if compared_to is None:
        low, high = _INTEGER_RANGES.get(options.data_type, _INTEGER_RANGES["bigint"])
        ascending = options.increment > 0
        compared_to = SequenceOptions(
            data_type="bigint",
            start=options.minimum if ascending else options.maximum,
            increment=1,
            minimum=1 if ascending else low,
            maximum=high if ascending else -1,
            cache=1,
            cycle=False,
        )
    clauses = []
    if with_type and options.data_type != compared_to.data_type:
        clauses.append(f"AS {options.data_type}")
    if options.increment != compared_to.increment:
        clauses.append(f"INCREMENT BY {options.increment}")
    if options.minimum != compared_to.minimum:
        clauses.append(f"MINVALUE {options.minimum}")
    if options.maximum != compared_to.maximum:
        clauses.append(f"MAXVALUE {options.maximum}")
    if options.start != compared_to.start:
        clauses.append(f"START WITH {options.start}")
    if options.cache != compared_to.cache:
        clauses.append(f"CACHE {options.cache}")
    if options.cycle != compared_to.cycle:
        clauses.append("CYCLE" if options.cycle else "NO CYCLE")
    return clauses


def identity_clause(table: Table, column: Column, identity: Identity) -> str:
    kind = "ALWAYS" if identity.always else "BY DEFAULT"
    options = []
    if (identity.sequence_schema, identity.sequence_name) != (table.schema, f"{table.name}_{column.name}_seq"):
        options.append(f"SEQUENCE NAME {qualified(identity.sequence_schema, identity.sequence_name)}")
    options += sequence_option_clauses(identity.options, with_type=False)
    suffix = f" ({' '.join(options)})" if options else ""
    return f"GENERATED {kind} AS IDENTITY{suffix}"


def default_not_null_name(table: Table, column: str) -> str:
    return f"{table.name}_{column}_not_null"


def column_definition(table: Table, column: Column) -> str:
    parts = [quote_ident(column.name), column.type]
    if column.collation:
        parts.append(f"COLLATE {column.collation}")
    if column.generated is not None:
        storage = "VIRTUAL" if column.generated_kind == "v" else "STORED"
        parts.append(f"GENERATED ALWAYS AS ({column.generated}) {storage}")
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if column.not_null:
        if column.not_null_name not in (None, default_not_null_name(table, column.name)):
            parts.append(f"CONSTRAINT {quote_ident(column.not_null_name)}")
        parts.append("NOT NULL")
    if column.identity is not None:
        parts.append(identity_clause(table, column, column.identity))
    return " ".join(parts)


def index_definition(index: Index) -> str:
    # On a partitioned table pg_get_indexdef says ON ONLY (the parent alone, as pg_dump
    # builds it); created here it must reach every partition.
    return index.definition.replace(" ON ONLY ", " ON ", 1)


def create_table(table: Table) -> str:
    head = f"CREATE {'UNLOGGED ' if table.unlogged else ''}TABLE {table.display}"
    if table.partition_of is not None:
        text = f"{head} PARTITION OF {qualified(*table.partition_of)} {table.partition_bound}"
    else:
        columns = [column_definition(table, c) for c in table.columns if not c.inherited]
        body = ",\n    ".join(columns)
        text = f"{head} (\n    {body}\n)" if columns else f"{head} ()"
        if table.inherits:
            text += " INHERITS (" + ", ".join(qualified(*parent) for parent in table.inherits) + ")"
    if table.partition_key:
        text += f" PARTITION BY {table.partition_key}"
    if table.options:
        text += f" WITH ({', '.join(table.options)})"
    return text


def create_sequence(sequence: Sequence) -> str:
    clauses = sequence_option_clauses(sequence.options)
    return f"CREATE SEQUENCE {sequence.display}" + "".join(f" {clause}" for clause in clauses)


def create_type(made: Enum | Domain | CompositeType) -> str:
    if isinstance(made, Enum):
        return f"CREATE TYPE {made.display} AS ENUM ({', '.join(quote_literal(label) for label in made.labels)})"
    if isinstance(made, Domain):
        text = f"CREATE DOMAIN {made.display} AS {made.base_type}"
        if made.collation:
            text += f" COLLATE {made.collation}"
        if made.default is not None:
            text += f" DEFAULT {made.default}"
        if made.not_null:
            text += " NOT NULL"
        for check in made.checks:
            text += f" CONSTRAINT {quote_ident(check.name)} {check.definition}"
        return text
    attributes = ", ".join(
        f"{quote_ident(a.name)} {a.type}" + (f" COLLATE {a.collation}" if a.collation else "") for a in made.attributes
    )
    return f"CREATE TYPE {made.display} AS ({attributes})"


def create_view(view: View) -> str:
    kind = "MATERIALIZED VIEW" if view.materialized else "VIEW"
    options = f" WITH ({', '.join(view.options)})" if view.options else ""
    return f"CREATE {kind} {view.display}{options} AS\n{view.definition.rstrip().rstrip(';')}"


def create_policy(policy: Policy) -> str:
    text = f"CREATE POLICY {quote_ident(policy.name)} ON {qualified(policy.schema, policy.table)}"
    if not policy.permissive:
        text += " AS RESTRICTIVE"
    text += f" FOR {policy.command} TO {', '.join(policy.roles)}"
    if policy.using is not None:
        text += f" USING ({policy.using})"
    if policy.with_check is not None:
        text += f" WITH CHECK ({policy.with_check})"
    return text


def add_constraint(constraint: Constraint) -> str:
    return f"ALTER TABLE {qualified(constraint.schema, constraint.table)} ADD CONSTRAINT {quote_ident(constraint.name)} {constraint.definition}"


def object_reference(obj: object) -> str:
    """How DROP and COMMENT ON name an object: `TABLE public.t`, `TRIGGER x ON public.t`, ..."""
    if isinstance(obj, Constraint | Trigger | Policy):
        keyword = {Constraint: "CONSTRAINT", Trigger: "TRIGGER", Policy: "POLICY"}[type(obj)]
        return f"{keyword} {quote_ident(obj.name)} ON {qualified(obj.schema, obj.table)}"
    if isinstance(obj, View):
        return f"{'MATERIALIZED VIEW' if obj.materialized else 'VIEW'} {obj.display}"
    if isinstance(obj, Function):
        return f"{obj.keyword} {obj.display}"
    named = {
        Namespace: "SCHEMA", Extension: "EXTENSION", Enum: "TYPE", CompositeType: "TYPE", Domain: "DOMAIN",
        Sequence: "SEQUENCE", Table: "TABLE", Index: "INDEX",
    }.get(type(obj))
    if named is None:
        raise TypeError(f"no SQL name for {type(obj).__name__}")
    return f"{named} {obj.display}"  # type: ignore[attr-defined]


def drop_statement(obj: object) -> str:
    if isinstance(obj, Constraint):
        return f"ALTER TABLE {qualified(obj.schema, obj.table)} DROP CONSTRAINT {quote_ident(obj.name)}"
    return f"DROP {object_reference(obj)}"


def comment_statement(target: str, comment: str | None) -> str:
    return f"COMMENT ON {target} IS {quote_literal(comment) if comment is not None else 'NULL'}"


def grant_target(obj: object) -> str | None:
    if isinstance(obj, Namespace):
        return f"SCHEMA {obj.display}"
    if isinstance(obj, Sequence):
        return f"SEQUENCE {obj.display}"
    if isinstance(obj, Table | View):
        return f"TABLE {obj.display}"
    if isinstance(obj, Function):
        return f"{obj.keyword} {obj.display}"
    if isinstance(obj, Enum | Domain | CompositeType):
        return f"TYPE {obj.display}"
    return None


def grant_statement(target: str, grant: Grant, revoke: bool = False) -> str:
    grantee = grant.grantee if grant.grantee == "PUBLIC" else quote_ident(grant.grantee)
    if revoke:
        return f"REVOKE {grant.privilege} ON {target} FROM {grantee}"
    option = " WITH GRANT OPTION" if grant.grantable else ""
    return f"GRANT {grant.privilege} ON {target} TO {grantee}{option}"

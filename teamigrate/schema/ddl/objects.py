"""DDL that names, drops, comments and grants on any kind of object, and creates schemas and extensions."""

from __future__ import annotations

import re

from teamigrate.schema.model import (
    Collation,
    CompositeType,
    Constraint,
    Domain,
    Enum,
    Extension,
    Function,
    Grant,
    Index,
    Namespace,
    Policy,
    Sequence,
    Table,
    Trigger,
    View,
)
from teamigrate.schema.quoting import qualified, quote_ident, quote_literal


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
        Sequence: "SEQUENCE", Table: "TABLE", Index: "INDEX", Collation: "COLLATION",
    }.get(type(obj))
    if named is None:
        raise TypeError(f"no SQL name for {type(obj).__name__}")
    return f"{named} {obj.display}"  # type: ignore[attr-defined]


def column_reference(relation: Table | View, column: str) -> str:
    """How COMMENT ON names a column of a table or view."""
    return f"COLUMN {relation.display}.{quote_ident(column)}"


def domain_check_reference(domain: Domain, check: str) -> str:
    """How COMMENT ON names a domain's check constraint."""
    return f"CONSTRAINT {quote_ident(check)} ON DOMAIN {domain.display}"


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


def create_schema(namespace: Namespace) -> str:
    return f"CREATE SCHEMA {namespace.display}"


def create_extension(extension: Extension) -> str:
    # Left out when it is the default, so that the plan reads as it was written.
    version = "" if extension.version == extension.default_version else f" VERSION {quote_literal(extension.version)}"
    return f"CREATE EXTENSION IF NOT EXISTS {extension.display} WITH SCHEMA {quote_ident(extension.schema)}{version}"


def update_extension(extension: Extension) -> str:
    return f"ALTER EXTENSION {extension.display} UPDATE TO {quote_literal(extension.version)}"


def set_extension_schema(extension: Extension) -> str:
    return f"ALTER EXTENSION {extension.display} SET SCHEMA {quote_ident(extension.schema)}"


# The two statements only a person can finish: a type change PostgreSQL has no cast for, and an extension version
# with no update path. As the renderer writes them (alter_column_type, update_extension).
_RETYPE = re.compile(r'^ALTER TABLE (?P<table>.+?) ALTER COLUMN (?P<column>"(?:[^"]|"")+"|\S+) TYPE (?P<type>.+?) USING ', re.DOTALL)
_UPDATE = re.compile(r"^ALTER EXTENSION (?P<extension>.+?) UPDATE TO (?P<version>'(?:[^']|'')*')$", re.DOTALL)


def by_hand(sql: str) -> tuple[str, str] | None:
    """For a generated statement PostgreSQL refused because the change needs a person: what it changes (`column t.c`,
    `extension e`), and the skeleton to write in a `new --empty` migration. None for any other statement."""
    text = sql.strip().removesuffix(";")
    if found := _RETYPE.match(text):
        table, column, type_ = found["table"], found["column"], found["type"]
        return f"column {table}.{column}", f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {type_} USING <expression of {column}>;"
    if found := _UPDATE.match(text):
        extension, version = found["extension"], found["version"]
        return f"extension {extension}", f"DROP EXTENSION {extension}; CREATE EXTENSION {extension} VERSION {version}; -- and re-create what used it"
    return None

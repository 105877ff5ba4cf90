"""DDL for tables: creation, and the alterations of the table itself (partitions, inheritance, storage, row security)."""

from __future__ import annotations

from teamigrate.schema.ddl.columns import column_definition
from teamigrate.schema.model import Column, Index, Table
from teamigrate.schema.quoting import qualified, quote_ident

_REPLICA = {"d": "DEFAULT", "n": "NOTHING", "f": "FULL"}


def create_table(table: Table, named_not_nulls: list[Column] | None = None) -> str:
    """`named_not_nulls`: a partition's columns whose NOT NULL constraint is named otherwise than the parent's."""
    head = f"CREATE {'UNLOGGED ' if table.unlogged else ''}TABLE {table.display}"
    if table.partition_of is not None:
        options = ", ".join(f"{quote_ident(c.name)} CONSTRAINT {quote_ident(c.not_null_name or '')} NOT NULL" for c in named_not_nulls or ())
        text = f"{head} PARTITION OF {qualified(*table.partition_of)}{f' ({options})' if options else ''} {table.partition_bound}"
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


def detach_partition(table: Table, parent: tuple[str, str]) -> str:
    return f"ALTER TABLE {qualified(*parent)} DETACH PARTITION {table.display}"


def attach_partition(table: Table, parent: tuple[str, str]) -> str:
    return f"ALTER TABLE {qualified(*parent)} ATTACH PARTITION {table.display} {table.partition_bound}"


def inherit(table: Table, parent: tuple[str, str]) -> str:
    return f"ALTER TABLE {table.display} INHERIT {qualified(*parent)}"


def no_inherit(table: Table, parent: tuple[str, str]) -> str:
    return f"ALTER TABLE {table.display} NO INHERIT {qualified(*parent)}"


def set_logged(table: Table) -> str:
    """SET LOGGED or SET UNLOGGED, whichever the table is."""
    return f"ALTER TABLE {table.display} SET {'UNLOGGED' if table.unlogged else 'LOGGED'}"


def reset_options(table: Table, options: tuple[str, ...]) -> str:
    return f"ALTER TABLE {table.display} RESET ({', '.join(option.split('=')[0] for option in options)})"


def set_options(table: Table) -> str:
    return f"ALTER TABLE {table.display} SET ({', '.join(table.options)})"


def row_level_security(table: Table) -> str:
    """ENABLE or DISABLE ROW LEVEL SECURITY, whichever the table has."""
    return f"ALTER TABLE {table.display} {'ENABLE' if table.rls_enabled else 'DISABLE'} ROW LEVEL SECURITY"


def force_row_level_security(table: Table) -> str:
    """FORCE or NO FORCE ROW LEVEL SECURITY, whichever the table has."""
    return f"ALTER TABLE {table.display} {'' if table.rls_forced else 'NO '}FORCE ROW LEVEL SECURITY"


def replica_identity(table: Table) -> str:
    identity = table.replica_identity
    clause = f"USING INDEX {quote_ident(identity.split(':', 1)[1])}" if identity.startswith("index:") else _REPLICA[identity]
    return f"ALTER TABLE {table.display} REPLICA IDENTITY {clause}"


def drop_constraint(table: Table, name: str) -> str:
    return f"ALTER TABLE {table.display} DROP CONSTRAINT {quote_ident(name)}"


def drop_index(index: Index, cascade: bool = False) -> str:
    """`cascade`: for a partitioned table's index that partitions' own keys are attached to (nothing else can drop it)."""
    return f"DROP INDEX {qualified(index.schema, index.name)}{' CASCADE' if cascade else ''}"

"""DDL for a table's columns: their definition, and adding, dropping and altering one."""

from __future__ import annotations

from dataclasses import replace

from teamigrate.schema.ddl.sequences import sequence_option_clauses
from teamigrate.schema.model import Column, Identity, Table
from teamigrate.schema.quoting import qualified, quote_ident

_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}


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


def _chosen_not_null_name(table: Table, column: Column) -> str | None:
    """The name of the column's NOT NULL constraint where PostgreSQL would not give it that name by itself."""
    if column.not_null_name in (None, default_not_null_name(table, column.name)):
        return None
    return column.not_null_name


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
        chosen_name = _chosen_not_null_name(table, column)
        if chosen_name is not None:
            parts.append(f"CONSTRAINT {quote_ident(chosen_name)}")
        parts.append("NOT NULL")
    if column.identity is not None:
        parts.append(identity_clause(table, column, column.identity))
    return " ".join(parts)


def add_column(table: Table, column: Column) -> str:
    return f"ALTER TABLE {table.display} ADD COLUMN {column_definition(table, column)}"


def drop_column(table: Table, column: str) -> str:
    return f"ALTER TABLE {table.display} DROP COLUMN {quote_ident(column)}"


def _alter_column(table: Table, column: str) -> str:
    return f"ALTER TABLE {table.display} ALTER COLUMN {quote_ident(column)}"


def drop_identity(table: Table, column: str) -> str:
    return f"{_alter_column(table, column)} DROP IDENTITY"


def drop_expression(table: Table, column: str) -> str:
    return f"{_alter_column(table, column)} DROP EXPRESSION"


def drop_default(table: Table, column: str) -> str:
    return f"{_alter_column(table, column)} DROP DEFAULT"


def set_default(table: Table, column: Column) -> str:
    return f"{_alter_column(table, column.name)} SET DEFAULT {column.default}"


def _cast_target(type_text: str) -> str:
    return "text[]" if type_text.endswith("[]") else "text"


def alter_column_type(table: Table, column: Column, *, through_text: bool) -> str:
    """`through_text`: the type itself is rebuilt, so values are cast out to text and back into the new one."""
    collate = f" COLLATE {column.collation}" if column.collation else ""
    if through_text:
        using = f"{quote_ident(column.name)}::{_cast_target(column.type)}::{column.type}"
    else:
        using = f"{quote_ident(column.name)}::{column.type}"
    return f"{_alter_column(table, column.name)} TYPE {column.type}{collate} USING {using}"


def set_not_null(table: Table, column: Column) -> str:
    chosen_name = _chosen_not_null_name(table, column)
    if chosen_name is not None:
        return f"ALTER TABLE {table.display} ADD CONSTRAINT {quote_ident(chosen_name)} NOT NULL {quote_ident(column.name)}"
    return f"{_alter_column(table, column.name)} SET NOT NULL"


def drop_not_null(table: Table, column: str) -> str:
    return f"{_alter_column(table, column)} DROP NOT NULL"


def add_identity(table: Table, column: Column, identity: Identity) -> str:
    return f"{_alter_column(table, column.name)} ADD {identity_clause(table, column, identity)}"


def alter_identity(table: Table, column: str, old: Identity, new: Identity) -> str | None:
    """The ALTER COLUMN that turns one identity into the other, None when nothing differs."""
    clauses = []
    if old.always != new.always:
        clauses.append(f"SET GENERATED {'ALWAYS' if new.always else 'BY DEFAULT'}")
    # The sequence's type follows the column's (ALTER COLUMN ... TYPE); it is never set here.
    before = replace(old.options, data_type=new.options.data_type)
    clauses += ["SET " + clause for clause in sequence_option_clauses(new.options, with_type=False, compared_to=before)]
    if not clauses:
        return None
    return f"{_alter_column(table, column)} {' '.join(clauses)}"


def set_statistics(table: Table, column: Column) -> str:
    return f"{_alter_column(table, column.name)} SET STATISTICS {column.statistics if column.statistics is not None else -1}"


def storage_keyword(storage: str | None) -> str:
    """SET STORAGE's word for a pg_attribute.attstorage code."""
    return _STORAGE.get(storage or "", "DEFAULT")


def set_storage(table: Table, column: str, keyword: str) -> str:
    return f"{_alter_column(table, column)} SET STORAGE {keyword}"

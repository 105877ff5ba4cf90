"""Columns: adding one, altering one in place (type, default, NOT NULL, identity, generation), and their settings."""

from __future__ import annotations

from teamigrate.schema import ddl
from teamigrate.schema.diff.draft import POST, PRE, PlanDraft
from teamigrate.schema.diff.objects import TableColumn, subject
from teamigrate.schema.model import Column, Enum, Key, Schema, Table
from teamigrate.schema.plan import Hazard
from teamigrate.schema.quoting import qualified, quote_ident

# format_type's names of types whose values always fit the wider one, but on disk differ.
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


def add_column(draft: PlanDraft, key: Key, obj: TableColumn) -> None:
    column = obj.column
    hazards = []
    if column.not_null and column.default is None and column.identity is None and column.generated is None:
        hazards.append(Hazard.FAILS_IF_ROWS)
    if column.identity is not None or column.generated_kind == "s":
        hazards.append(Hazard.REWRITES_TABLE)
    draft.emit(POST, key, ddl.add_column(obj.table, column), hazards, subject(obj.table))
    if column.comment is not None:
        draft.emit(POST, key, ddl.comment_statement(ddl.column_reference(obj.table, column.name), column.comment))
    column_settings(draft, key, obj.table, column, None)


def column_settings(draft: PlanDraft, key: Key, table: Table, column: Column, old: Column | None) -> list[str]:
    """SET STATISTICS and SET STORAGE where they differ from `old`, or (a new column) from the defaults."""
    details = []
    if column.statistics != (old.statistics if old is not None else None):
        draft.emit(POST, key, ddl.set_statistics(table, column))
        details.append(f"statistics {column.statistics if column.statistics is not None else 'default'}")
    if column.storage != (old.storage if old is not None else None):
        back_to = old.type_storage if old is not None else None
        storage = ddl.storage_keyword(column.storage or back_to)
        draft.emit(POST, key, ddl.set_storage(table, column.name, storage))
        details.append(f"storage {storage.lower()}")
    return details


def alter_column(draft: PlanDraft, key: Key, old_obj: TableColumn, new_obj: TableColumn) -> list[str]:
    old, new = old_obj.column, new_obj.column
    table = new_obj.table
    details = []
    identity_dropped = old.identity is not None and (
        new.identity is None or
        (old.identity.sequence_schema, old.identity.sequence_name) != (new.identity.sequence_schema, new.identity.sequence_name)
    )
    if identity_dropped:
        # Before anything else, so that a sequence taking over its name can be created.
        draft.emit(PRE, key, ddl.drop_identity(table, new.name))
        details.append("drop identity")
    if old.generated is not None and new.generated is None:
        draft.emit(POST, key, ddl.drop_expression(table, new.name))
        details.append("no longer generated")
    retype = key in draft.classified.retyped
    default_cleared = False
    if old.default is not None and key in draft.classified.default_reset:
        draft.emit(PRE, key, ddl.drop_default(table, new.name))
        default_cleared = True
    elif old.default is not None and (retype or new.default is None):
        draft.emit(POST, key, ddl.drop_default(table, new.name))
        default_cleared = True
    if retype:
        # The same type and collation: the type itself is rebuilt under the column.
        through_text = old.type == new.type and old.collation == new.collation
        # PostgreSQL has no cast from one enum to another (nor between their arrays): the values go through text.
        enum_to_enum = not through_text and names_an_enum(draft.source, old.type) and names_an_enum(draft.target, new.type)
        if through_text:
            hazards = frozenset({Hazard.REWRITES_TABLE, Hazard.MAY_FAIL})
            details.append(f"type {new.type} rebuilt")
        else:
            hazards = _type_change_hazards(old.type, new.type) if old.type != new.type else frozenset({Hazard.REWRITES_TABLE})
            details.append(f"type {old.type} -> {new.type}" if old.type != new.type else f"collation {old.collation} -> {new.collation}")
        draft.emit(POST, key, ddl.alter_column_type(table, new, through_text=through_text or enum_to_enum), hazards, subject(new_obj))
    if new.default is not None and (default_cleared or new.default != old.default):
        draft.emit(POST, key, ddl.set_default(table, new))
    if old.default != new.default:
        details.append(f"default {old.default or 'none'} -> {new.default or 'none'}")
    if old.not_null != new.not_null:
        if new.not_null:
            draft.emit(POST, key, ddl.set_not_null(table, new), [Hazard.MAY_FAIL, Hazard.LOCKS_TABLE], subject(new_obj))
            details.append("set not null")
        else:
            draft.emit(POST, key, ddl.drop_not_null(table, new.name))
            details.append("drop not null")
    elif new.not_null and old.not_null_name and new.not_null_name and old.not_null_name != new.not_null_name \
            and not (old.inherited and new.inherited):  # an inherited constraint is renamed detached (tables.py)
        # Renamed while the column is local: before it joins a parent, after it leaves one.
        phase = PRE if new.inherited and not old.inherited else POST
        draft.emit(phase, key, ddl.rename_constraint(table, old.not_null_name, new.not_null_name))
        details.append(f"not null constraint {old.not_null_name} -> {new.not_null_name}")
    if new.identity is not None:
        if old.identity is None or identity_dropped:
            draft.emit(POST, key, ddl.add_identity(table, new, new.identity), [Hazard.LOCKS_TABLE], subject(new_obj))
            details.append("add identity")
        else:
            sql = ddl.alter_identity(table, new.name, old.identity, new.identity)
            if sql is not None:
                draft.emit(POST, key, sql)
                details.append("identity options")
    if new.comment != old.comment:
        draft.emit(POST, key, ddl.comment_statement(ddl.column_reference(table, new.name), new.comment))
        details.append("comment")
    return details + column_settings(draft, key, table, new, old)


def names_an_enum(schema: Schema, type_text: str) -> bool:
    """Whether a column's type (format_type's text, maybe an array of it) is one of the schema's enums."""
    base = type_text.removesuffix("[]")
    return any(
        base in (qualified(found.schema, found.name), quote_ident(found.name))
        for found in schema.types.values() if isinstance(found, Enum)
    )

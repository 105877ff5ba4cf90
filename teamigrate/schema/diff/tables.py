"""Tables: creating one with its columns' settings, and altering the table itself in place."""

from __future__ import annotations

from teamigrate.schema import ddl
from teamigrate.schema.diff import partitions
from teamigrate.schema.diff.columns import column_settings
from teamigrate.schema.diff.comments import alter_comment
from teamigrate.schema.diff.draft import POST, PRE, PlanDraft
from teamigrate.schema.diff.grants import alter_grants
from teamigrate.schema.diff.objects import column_key, subject
from teamigrate.schema.model import Column, Key, Table
from teamigrate.schema.plan import Hazard
from teamigrate.schema.quoting import qualified

# ATTACH PARTITION reads the whole partition to check its bound (unless a CHECK constraint proves it).
_ATTACH_HAZARDS = (Hazard.SCANS_TABLE, Hazard.MAY_FAIL, Hazard.LOCKS_TABLE)


def create_table(draft: PlanDraft, key: Key, table: Table) -> None:
    # A partitioned table or partition made again: its rows do not come back by themselves.
    rebuilt = key in draft.classified.rebuilt and (table.partition_key is not None or table.partition_of is not None)
    hazards = [Hazard.RECREATES_TABLE] if rebuilt else []
    draft.emit(POST, key, ddl.create_table(table, _renamed_not_nulls(draft, table)), hazards, subject(table))
    for column in table.columns:
        # CREATE TABLE makes the columns: whatever waits for one waits for the table.
        draft.alias[(POST, column_key(table, column))] = (POST, key)
        if column.comment is not None:
            draft.emit(POST, key, ddl.comment_statement(ddl.column_reference(table, column.name), column.comment))
    for column in table.columns:
        column_settings(draft, key, table, column, None)
    _own_facts_of_inherited_columns(draft, key, table)
    if table.replica_identity != "d":
        _replica_identity(draft, table)
    if table.rls_enabled:
        draft.emit(POST, key, ddl.row_level_security(table))
    if table.rls_forced:
        draft.emit(POST, key, ddl.force_row_level_security(table))
    if table.comment is not None:
        draft.emit(POST, key, ddl.comment_statement(ddl.object_reference(table), table.comment))
    alter_grants(draft, key, table, None)


def _inherited_column(draft: PlanDraft, table: Table, name: str) -> Column | None:
    for parent in (table.partition_of, *table.inherits):
        found = draft.target.tables.get(("table", *parent)) if parent is not None else None
        if found is not None and (column := found.column(name)) is not None:
            return column
    return None


def _renamed_not_nulls(draft: PlanDraft, table: Table) -> list[Column]:
    """A partition's columns whose NOT NULL, the parent's too, has a name of its own: only CREATE TABLE can give it."""
    if table.partition_of is None:
        return []
    renamed = []
    for column in table.columns:
        inherited = _inherited_column(draft, table, column.name) if column.inherited and column.not_null else None
        if inherited is not None and inherited.not_null and column.not_null_name and inherited.not_null_name \
                and column.not_null_name != inherited.not_null_name:
            renamed.append(column)
    return renamed


def _own_facts_of_inherited_columns(draft: PlanDraft, key: Key, table: Table) -> None:
    """A partition's or child's NOT NULL and default where they are not the parent's (CREATE TABLE takes the parent's)."""
    for column in table.columns:
        inherited = _inherited_column(draft, table, column.name) if column.inherited else None
        if inherited is None:
            continue
        if column.default != inherited.default:
            draft.emit(POST, key, ddl.set_default(table, column) if column.default is not None else ddl.drop_default(table, column.name))
        if column.not_null and not inherited.not_null:
            draft.emit(POST, key, ddl.set_not_null(table, column))


def _replica_identity(draft: PlanDraft, table: Table) -> None:
    # A node of its own ("replica"): it may name an index, which is created after the table.
    draft.emit(POST, ("replica", table.schema, table.name), ddl.replica_identity(table))


def alter_table(draft: PlanDraft, key: Key, old: Table, new: Table) -> list[str]:
    details = []
    renamed = _inherited_not_null_renames(old, new)
    if renamed and old.partition_of == new.partition_of is not None and old.partition_bound == new.partition_bound:
        # PostgreSQL renames no constraint a partition inherits: detached, renamed, attached again.
        assert new.partition_of is not None
        draft.emit(PRE, key, ddl.detach_partition(new, new.partition_of))
        for before, after in renamed:
            draft.emit(POST, key, ddl.rename_constraint(new, before, after))
        draft.emit(POST, key, ddl.attach_partition(new, new.partition_of), _ATTACH_HAZARDS, subject(new))
        details.append("not null constraints " + ", ".join(f"{before} -> {after}" for before, after in renamed))
    if old.partition_of != new.partition_of or old.partition_bound != new.partition_bound:
        if old.partition_of is not None:
            draft.emit(PRE, key, ddl.detach_partition(new, old.partition_of))
            details.append(f"detach from {qualified(*old.partition_of)}")
            for copy in partitions.dropped_after_detach(draft.source, draft.target):
                if (copy.schema, copy.table) == (new.schema, new.name):
                    # Left to the partition by DETACH; the target has it no longer.
                    draft.emit(PRE, key, ddl.drop_constraint(new, copy.name) if copy.constraint_kind else ddl.drop_index(copy))
        if new.partition_of is not None:
            draft.emit(POST, key, ddl.attach_partition(new, new.partition_of), _ATTACH_HAZARDS, subject(new))
            details.append(f"attach to {qualified(*new.partition_of)} {new.partition_bound}")
    for parent in old.inherits:
        if parent not in new.inherits:
            draft.emit(PRE, key, ddl.no_inherit(new, parent))
            details.append(f"no longer inherits {qualified(*parent)}")
    for parent in new.inherits:
        if parent not in old.inherits:
            draft.emit(POST, key, ddl.inherit(new, parent), [Hazard.LOCKS_TABLE], subject(new))
            details.append(f"inherits {qualified(*parent)}")
    if old.unlogged != new.unlogged:
        draft.emit(POST, key, ddl.set_logged(new), [Hazard.REWRITES_TABLE], subject(new))
        details.append("unlogged" if new.unlogged else "logged")
    if old.options != new.options:
        # Reset and set again, so that the catalog holds them in the target's order.
        if old.options:
            draft.emit(POST, key, ddl.reset_options(new, old.options))
        if new.options:
            draft.emit(POST, key, ddl.set_options(new))
        details.append("storage parameters " + (", ".join(new.options) or "reset"))
    if old.rls_enabled != new.rls_enabled:
        draft.emit(POST, key, ddl.row_level_security(new))
        details.append("row level security " + ("enabled" if new.rls_enabled else "disabled"))
    if old.rls_forced != new.rls_forced:
        draft.emit(POST, key, ddl.force_row_level_security(new))
        details.append("row level security " + ("forced" if new.rls_forced else "not forced"))
    if old.replica_identity != new.replica_identity:
        _replica_identity(draft, new)
        details.append(f"replica identity {new.replica_identity}")
    return details + alter_comment(draft, key, old, new)


def _inherited_not_null_renames(old: Table, new: Table) -> list[tuple[str, str]]:
    """(old name, new name) of NOT NULL constraints a partition inherits under another name (PostgreSQL 18)."""
    renames = []
    for column in new.columns:
        previous = old.column(column.name)
        if previous is not None and previous.inherited and column.inherited and previous.not_null and column.not_null \
                and previous.not_null_name and column.not_null_name and previous.not_null_name != column.not_null_name:
            renames.append((previous.not_null_name, column.not_null_name))
    return renames

"""DDL for the rules a table's rows obey: constraints, indexes and row-level security policies."""

from __future__ import annotations

from teamigrate.schema.model import Constraint, Index, Policy, Table
from teamigrate.schema.quoting import qualified, quote_ident

# How pg_get_constraintdef ends the definition of a constraint not yet validated.
_NOT_VALID = " NOT VALID"


def add_constraint(constraint: Constraint) -> str:
    return f"ALTER TABLE {qualified(constraint.schema, constraint.table)} ADD CONSTRAINT {quote_ident(constraint.name)} {constraint.definition}"


def validate_constraint(constraint: Constraint) -> str:
    return f"ALTER TABLE {qualified(constraint.schema, constraint.table)} VALIDATE CONSTRAINT {quote_ident(constraint.name)}"


def is_not_valid(definition: str) -> bool:
    return definition.endswith(_NOT_VALID.lstrip())


def only_validated(old: str, new: str) -> bool:
    """Whether constraint definition `new` is `old` once validated."""
    return old.endswith(_NOT_VALID) and old[: -len(_NOT_VALID)] == new


def index_definition(index: Index, *, if_not_exists: bool = False) -> str:
    # On a partitioned table pg_get_indexdef says ON ONLY (the parent alone, as pg_dump
    # builds it); created here it must reach every partition.
    definition = index.definition.replace(" ON ONLY ", " ON ", 1)
    if if_not_exists:
        definition = definition.replace(" INDEX ", " INDEX IF NOT EXISTS ", 1)
    return definition


def is_unique_index(index: Index) -> bool:
    return index.definition.startswith("CREATE UNIQUE")


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


def rename_constraint(table: Table, old: str, new: str) -> str:
    return f"ALTER TABLE {table.display} RENAME CONSTRAINT {quote_ident(old)} TO {quote_ident(new)}"

"""Privileges granted on objects, when a plan includes them."""

from __future__ import annotations

from typing import Any

from teamigrate.schema import ddl
from teamigrate.schema.diff.draft import POST, PlanDraft
from teamigrate.schema.model import CompositeType, Domain, Enum, Function, Grant, Key


def _default_grants(obj: Any) -> tuple[Grant, ...]:
    """What PostgreSQL grants on a new object by itself (acldefault), besides its owner."""
    if isinstance(obj, Function):
        return (Grant("PUBLIC", "EXECUTE"),)
    if isinstance(obj, Enum | Domain | CompositeType):
        return (Grant("PUBLIC", "USAGE"),)
    return ()


def alter_grants(draft: PlanDraft, key: Key, new: Any, old: Any | None) -> list[str]:
    """Revoke and grant what differs from `old`, or from PostgreSQL's defaults for a new object (`old` None)."""
    if not draft.include_grants:
        return []
    target = ddl.grant_target(new)
    if target is None:
        return []
    before: set[Grant] = set(old.grants) if old is not None else set(_default_grants(new))
    after: set[Grant] = set(new.grants)
    for grant in sorted(before - after):
        draft.emit(POST, key, ddl.grant_statement(target, grant, revoke=True))
    for grant in sorted(after - before):
        draft.emit(POST, key, ddl.grant_statement(target, grant))
    return ["grants"] if before != after else []

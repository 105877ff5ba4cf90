"""Pure: the conflicts between two branches' schema changes (both changed one object, or one drops what the other uses)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from teamigrate.schema.diff import Change

CONFLICT_KINDS = frozenset({"table", "column", "index", "constraint", "enum", "domain", "type", "composite type",
                            "function", "procedure", "view", "materialized view", "sequence", "trigger", "policy", "schema"})


@dataclass(frozen=True)
class Conflict:
    kind: str  # "both-changed" | "dropped-and-used"
    object: str
    detail: str


def find_conflicts(ours: Sequence[Change], theirs: Sequence[Change], our_ref: str, their_ref: str) -> list[Conflict]:
    """Pure: objects changed on both sides, and objects one side drops while the other uses them."""
    conflicts: dict[tuple[str, str], Conflict] = {}
    ours_by_key = {(c.kind, c.name): c for c in ours if c.kind in CONFLICT_KINDS}
    theirs_by_key = {(c.kind, c.name): c for c in theirs if c.kind in CONFLICT_KINDS}
    for key in sorted(ours_by_key.keys() & theirs_by_key.keys()):
        a, b = ours_by_key[key], theirs_by_key[key]
        if a == b:
            continue  # both sides made the very same change: it merges
        conflicts[key] = Conflict("both-changed", f"{key[0]} {key[1]}",
                                  f"{our_ref}: {a.action} {a.detail}".rstrip() + f"; {their_ref}: {b.action} {b.detail}".rstrip())
    for dropper, user, dropper_ref, user_ref in ((ours, theirs, our_ref, their_ref), (theirs, ours, their_ref, our_ref)):
        for dropped in (c for c in dropper if c.action == "drop" and c.kind in CONFLICT_KINDS):
            for change in user:
                if change.action == "drop" or (change.kind, change.name) == (dropped.kind, dropped.name):
                    continue
                if _uses(change, dropped):
                    key = ("dropped-and-used", f"{dropped.kind} {dropped.name}")
                    conflicts.setdefault(key, Conflict(
                        "dropped-and-used", f"{dropped.kind} {dropped.name}",
                        f"{dropper_ref} drops it; {user_ref}: {change.action} {change.kind} {change.name}"))
    return list(conflicts.values())


def _uses(change: Change, dropped: Change) -> bool:
    if dropped.kind in ("table", "view", "materialized view"):
        if change.table == dropped.name or change.name.startswith(dropped.name + "."):
            return True
    if dropped.kind == "column" and change.table is not None and dropped.table == change.table:
        column = dropped.name.rsplit(".", 1)[-1].strip('"')
        if change.kind != "column" and re.search(rf"\b{re.escape(column)}\b", f"{change.detail} {getattr(change, 'sql', '')}"):
            return True
    bare = dropped.name.rsplit(".", 1)[-1].strip('"')
    text = f"{change.detail} {getattr(change, 'sql', '')}"
    return bool(bare) and dropped.kind not in ("column",) and re.search(rf"\b{re.escape(bare)}\b", text) is not None

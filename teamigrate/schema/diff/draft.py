"""A plan being drafted: each object's statements by phase, and the changes noted, before they are ordered."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from teamigrate.schema.diff.classify import Classification
from teamigrate.schema.diff.objects import SchemaObjects, change_name, change_table, kind_name
from teamigrate.schema.model import Key, Schema
from teamigrate.schema.plan import Change, Hazard, Statement

# The phases of one object: "pre" clears the way (drops, detaches, releases of
# dependencies), "post" builds (creates, alters), "final" removes what a rebuild
# renamed out of the way. The graph orders phases across objects.
PRE, POST, FINAL = 0, 1, 2
Node = tuple[int, Key]


class PlanDraft:
    def __init__(
        self,
        source: Schema,
        target: Schema,
        old: SchemaObjects,
        new: SchemaObjects,
        classified: Classification,
        include_grants: bool,
    ) -> None:
        self.source, self.target = source, target
        self.old, self.new = old, new
        self.classified = classified
        self.include_grants = include_grants
        self.steps: dict[Node, list[Statement]] = {}
        # A node whose statements PostgreSQL runs as part of another's (a column created
        # with its table, an index dropped with it): ordered as that one.
        self.alias: dict[Node, Node] = {}
        self.changes: list[Change] = []

    def emit(self, phase: int, key: Key, sql: str, hazards: Iterable[Hazard] = (), subject: str = "", transactional: bool = True) -> None:
        self.steps.setdefault((phase, key), []).append(Statement(sql, frozenset(hazards), transactional, subject))

    def note(self, obj: Any, action: str, detail: str = "") -> None:
        self.changes.append(Change(kind_name(obj), action, change_name(obj), change_table(obj), detail))

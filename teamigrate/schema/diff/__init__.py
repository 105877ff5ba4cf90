"""Turn one schema into another: classify what differs, alter per kind, order by the dependency graph.

The parts, as migra builds its differ: `classify` (the generic `differences` and what
is added, removed, changed or rebuilt, with cascades), one module per kind family
that turns those into statements on a `PlanDraft` (namespaces, types, sequences,
tables, columns, constraints, views, routines, comments, grants; `build` sends each
object to its module), and `ordering` (phases and the dependency graph). The SQL
text itself comes from the renderer, `teamigrate.schema.ddl`.
"""

from __future__ import annotations

from teamigrate.schema.diff.build import build
from teamigrate.schema.diff.classify import classify, differences
from teamigrate.schema.diff.draft import PlanDraft
from teamigrate.schema.diff.objects import SchemaObjects
from teamigrate.schema.diff.ordering import order
from teamigrate.schema.model import Schema
from teamigrate.schema.plan import Change, Hazard, Plan, Statement

__all__ = ["Change", "Hazard", "Plan", "Statement", "diff_schemas", "differences"]


def diff_schemas(source: Schema, target: Schema, *, include_grants: bool = False) -> Plan:
    """The SQL that turns `source` into `target`, ordered so that it runs."""
    old, new = SchemaObjects(source), SchemaObjects(target)
    draft = PlanDraft(source, target, old, new, classify(source, target, old, new), include_grants)
    build(draft)
    return Plan(statements=order(draft), changes=draft.changes)

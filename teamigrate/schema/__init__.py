"""The schema engine: model, introspection, diff and DDL rendering."""

from __future__ import annotations

from teamigrate.schema.diff import Change, Hazard, Plan, Statement, diff_schemas, differences
from teamigrate.schema.introspect import introspect
from teamigrate.schema.model import Schema

__all__ = ["Change", "Hazard", "Plan", "Schema", "Statement", "diff_schemas", "differences", "introspect"]

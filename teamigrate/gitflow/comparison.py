"""Whether two databases hold the same schema, as the schema engine sees it (when it is installed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from teamigrate.schema.model import Schema
from teamigrate.schema.sources import SchemaWorkspace


def _diff_engine() -> Callable[[Any, Any], Any] | None:
    try:
        from teamigrate.schema.diff import diff_schemas
    except ImportError:  # the schema engine is built separately; without it we only replay
        return None
    return diff_schemas


def schema_engine_available() -> bool:
    return _diff_engine() is not None


def schema_differences(workspace: SchemaWorkspace, a_url: str, b_url: str) -> tuple[str, ...] | None:
    """The objects that differ between the two databases (history table excluded); None without a schema engine."""
    diff_schemas = _diff_engine()
    if diff_schemas is None:
        return None
    return differing_objects(workspace.introspect(a_url), workspace.introspect(b_url))


def differing_objects(a: Schema, b: Schema) -> tuple[str, ...]:
    """`kind name` of each object that differs between the two schemas."""
    from teamigrate.schema.diff import diff_schemas

    return tuple(sorted({f"{change.kind} {change.name}" for change in diff_schemas(a, b).changes}))

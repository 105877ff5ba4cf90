"""Whether two databases hold the same schema, as the schema engine sees it (when it is installed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
    plan = diff_schemas(workspace.introspect(a_url), workspace.introspect(b_url))
    if plan.is_empty:
        return ()
    return tuple(sorted({f"{change.kind} {change.name}" for change in plan.changes}))

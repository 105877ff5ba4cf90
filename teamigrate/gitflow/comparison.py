"""Whether two schemas are the same, as the schema engine sees it, and if not, which objects differ."""

from __future__ import annotations

from teamigrate.schema.diff import diff_schemas
from teamigrate.schema.model import Schema


def differing_objects(a: Schema, b: Schema) -> tuple[str, ...]:
    """`kind name` of each object that differs between the two schemas."""
    return tuple(sorted({f"{change.kind} {change.name}" for change in diff_schemas(a, b).changes}))

"""Views and materialized views."""

from __future__ import annotations

from teamigrate.schema import ddl
from teamigrate.schema.diff.comments import alter_comment, view_column_comments
from teamigrate.schema.diff.draft import POST, PlanDraft
from teamigrate.schema.model import Key, View


def create_view(draft: PlanDraft, key: Key, view: View) -> None:
    draft.emit(POST, key, ddl.create_view(view))
    view_column_comments(draft, key, view, ())


def alter_view(draft: PlanDraft, key: Key, old: View, new: View) -> list[str]:
    # Classification rebuilds a view whose query or options changed: only comments remain.
    return alter_comment(draft, key, old, new) + view_column_comments(draft, key, new, old.column_comments)

"""Comments on objects, and on the columns of views, as a plan sets them."""

from __future__ import annotations

from typing import Any

from teamigrate.schema import ddl
from teamigrate.schema.diff.draft import POST, PlanDraft
from teamigrate.schema.model import Key, View


def alter_comment(draft: PlanDraft, key: Key, old: Any, new: Any) -> list[str]:
    if old.comment == new.comment:
        return []
    draft.emit(POST, key, ddl.comment_statement(ddl.object_reference(new), new.comment))
    return ["comment"]


def create_comment(draft: PlanDraft, key: Key, obj: Any) -> None:
    if obj.comment is not None:
        draft.emit(POST, key, ddl.comment_statement(ddl.object_reference(obj), obj.comment))


def view_column_comments(draft: PlanDraft, key: Key, view: View, before: tuple[tuple[str, str], ...]) -> list[str]:
    old, new = dict(before), dict(view.column_comments)
    names = [name for name in new if old.get(name) != new[name]] + [name for name in old if name not in new]
    for name in names:
        draft.emit(POST, key, ddl.comment_statement(ddl.column_reference(view, name), new.get(name)))
    return ["column comments"] if names else []

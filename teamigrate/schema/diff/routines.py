"""Functions, procedures and the triggers that call them."""

from __future__ import annotations

from teamigrate.schema import ddl
from teamigrate.schema.diff.comments import alter_comment
from teamigrate.schema.diff.draft import POST, PlanDraft
from teamigrate.schema.model import Function, Key, Trigger


def create_function(draft: PlanDraft, key: Key, function: Function) -> None:
    draft.emit(POST, key, ddl.create_function(function))


def alter_function(draft: PlanDraft, key: Key, old: Function, new: Function) -> list[str]:
    details = []
    # Classification rebuilds a function whose signature or result changed; the rest is replaced in place.
    if old.definition != new.definition:
        draft.emit(POST, key, ddl.create_function(new))
        details.append("body or attributes")
    return details + alter_comment(draft, key, old, new)


def create_trigger(draft: PlanDraft, key: Key, trigger: Trigger) -> None:
    draft.emit(POST, key, ddl.create_trigger(trigger))
    # CREATE TRIGGER leaves it enabled ("O"); any other state is one more statement.
    if trigger.enabled != "O":
        draft.emit(POST, key, ddl.trigger_state(trigger))


def alter_trigger(draft: PlanDraft, key: Key, old: Trigger, new: Trigger) -> list[str]:
    details = []
    if old.enabled != new.enabled:
        draft.emit(POST, key, ddl.trigger_state(new))
        details.append("enabled state")
    return details + alter_comment(draft, key, old, new)

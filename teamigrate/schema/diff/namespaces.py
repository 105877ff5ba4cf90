"""Schemas and extensions: what holds the other objects and what brings its own."""

from __future__ import annotations

from teamigrate.schema import ddl
from teamigrate.schema.diff.comments import alter_comment
from teamigrate.schema.diff.draft import POST, PlanDraft
from teamigrate.schema.diff.grants import alter_grants
from teamigrate.schema.model import Extension, Key, Namespace

# Every database has it: never created nor dropped, only its comment and grants change.
PUBLIC: Key = ("schema", "public")
# The comment PostgreSQL gives the public schema by itself.
_DEFAULT_PUBLIC_COMMENT = "standard public schema"


def create_namespace(draft: PlanDraft, key: Key, namespace: Namespace) -> None:
    if key != PUBLIC:
        draft.emit(POST, key, ddl.create_schema(namespace))
    if namespace.comment is not None and not (key == PUBLIC and namespace.comment == _DEFAULT_PUBLIC_COMMENT):
        draft.emit(POST, key, ddl.comment_statement(ddl.object_reference(namespace), namespace.comment))
    alter_grants(draft, key, namespace, None)


def create_extension(draft: PlanDraft, key: Key, extension: Extension) -> None:
    draft.emit(POST, key, ddl.create_extension(extension))


def alter_extension(draft: PlanDraft, key: Key, old: Extension, new: Extension) -> list[str]:
    details = []
    if old.version != new.version:
        draft.emit(POST, key, ddl.update_extension(new))
        details.append(f"version {old.version} -> {new.version}")
    if old.schema != new.schema:
        draft.emit(POST, key, ddl.set_extension_schema(new))
        details.append(f"schema {old.schema} -> {new.schema}")
    return details + alter_comment(draft, key, old, new)

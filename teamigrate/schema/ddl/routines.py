"""DDL for objects defined by a body of SQL: views, functions and procedures, triggers."""

from __future__ import annotations

from teamigrate.schema.model import Function, Trigger, View
from teamigrate.schema.quoting import qualified, quote_ident

_TRIGGER_STATES = {"O": "ENABLE", "D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}


def create_view(view: View) -> str:
    kind = "MATERIALIZED VIEW" if view.materialized else "VIEW"
    options = f" WITH ({', '.join(view.options)})" if view.options else ""
    return f"CREATE {kind} {view.display}{options} AS\n{view.definition.rstrip().rstrip(';')}"


def create_function(function: Function) -> str:
    # pg_get_functiondef's own CREATE OR REPLACE: it also replaces a changed body.
    return function.definition.rstrip()


def create_trigger(trigger: Trigger) -> str:
    return trigger.definition


def trigger_state(trigger: Trigger) -> str:
    return f"ALTER TABLE {qualified(trigger.schema, trigger.table)} {_TRIGGER_STATES[trigger.enabled]} TRIGGER {quote_ident(trigger.name)}"

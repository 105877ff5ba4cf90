"""A plan for people (grouped by table, one line per change) and for machines (JSON)."""

from __future__ import annotations

from typing import Any

from teamigrate.schema.plan import Change, Plan

_SYMBOLS = {"add": "+", "drop": "-", "alter": "~"}
_ACTION_ORDER = {"drop": 0, "alter": 1, "add": 2}


def _line(change: Change) -> str:
    name = change.name
    if change.table and name.startswith(change.table + ".") and change.kind != "table":
        name = name[len(change.table) + 1:]
    detail = f": {change.detail}" if change.detail else ""
    return f"  {_SYMBOLS.get(change.action, '?')} {change.kind} {name}{detail}"


def render_summary(plan: Plan) -> str:
    if plan.is_empty:
        return "No changes.\n"
    groups: dict[str, list[Change]] = {}
    for change in plan.changes:
        groups.setdefault(change.table or "", []).append(change)
    lines: list[str] = []
    for group in sorted(groups):
        lines.append(group if group else "(not in a table)")
        changes = sorted(groups[group], key=lambda c: (c.kind != "table", _ACTION_ORDER.get(c.action, 3), c.kind, c.name))
        lines += [_line(change) for change in changes]
    counts = {action: sum(1 for c in plan.changes if c.action == action) for action in ("add", "alter", "drop")}
    tally = ", ".join(f"{count} to {action}" for action, count in counts.items() if count)
    lines.append("")
    lines.append(f"{len(plan.statements)} statements ({tally}).")
    hazards = sorted(hazard.value for hazard in plan.hazards)
    if hazards:
        lines.append("Hazards: " + ", ".join(hazards) + ".")
    for statement in plan.data_loss_statements:
        lines.append(f"  drops data: {statement.sql.splitlines()[0]}")
    return "\n".join(lines) + "\n"


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return {
        "empty": plan.is_empty,
        "hazards": sorted(hazard.value for hazard in plan.hazards),
        "changes": [
            {"kind": c.kind, "action": c.action, "name": c.name, "table": c.table, "detail": c.detail}
            for c in plan.changes
        ],
        "statements": [
            {"sql": s.sql, "hazards": sorted(h.value for h in s.hazards), "transactional": s.transactional}
            for s in plan.statements
        ],
    }

"""`changes --format markdown`: a pull request comment that tells the branch's schema story, with a Mermaid picture of the order.

Stable for a given repository state (sorted, no clock), and short: every list
is capped with "and N more" so the comment stays readable on a busy repository.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from teamigrate import output
from teamigrate.commands.comparison import Comparison, MigrationChanges, PairFailure
from teamigrate.planners.conflicts import Conflict

# The first line: a workflow finds its earlier comment by it and edits that one instead of adding another.
MARKER = "<!-- teamigrate:changes -->"
MAX_MIGRATIONS = 12
MAX_CHANGES = 5
MAX_HAZARDS = 3
MAX_CONFLICTS = 8
MAX_LANE = 4  # migrations drawn on each side of the diagram
NONE = "—"


def render_markdown(comparisons: Sequence[Comparison], failures: Sequence[PairFailure], hazards: Mapping[str, Sequence[str]]) -> str:
    """`hazards`: migration id -> what deploying it risks (lock levels, lint findings), already worded."""
    lines = [MARKER, "## teamigrate: schema changes", ""]
    main = comparisons[0].base_ref if comparisons else failures[0].base_ref if failures else None
    for comparison in comparisons:
        if comparison.base_ref == main:
            lines += _branch_section(comparison, hazards)
    lines += _other_pairs([c for c in comparisons if c.base_ref != main])
    if failures:
        lines += ["### Not compared", ""]
        lines += [f"- `{f.base_ref}` ↔ `{f.head_ref}`: error[{f.error.code}] {_inline(f.error.message)}" for f in failures]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _branch_section(comparison: Comparison, hazards: Mapping[str, Sequence[str]]) -> list[str]:
    head, base = comparison.head, comparison.base
    lines = [f"### `{head.ref}` into `{base.ref}`", ""]
    gained = f"; `{base.ref}` gained {output.count(len(base.migrations), 'migration')} since" if base.migrations else ""
    lines += [f"`{head.ref}` adds {output.count(len(head.migrations), 'migration')} since it left `{base.ref}` at `{comparison.merge_base[:10]}`{gained}.", ""]
    if head.migrations:
        lines += ["| migration | changes | hazards |", "| --- | --- | --- |"]
        shown = head.migrations[:MAX_MIGRATIONS]
        lines += [f"| `{m.id}` | {_changes_cell(m)} | {_capped_cell(hazards.get(m.id, ()), MAX_HAZARDS)} |" for m in shown]
        if len(head.migrations) > len(shown):
            lines.append(f"| and {len(head.migrations) - len(shown)} more | | |")
        lines.append("")
    lines += [f"**Collisions with `{base.ref}`**", ""]
    lines += _collisions(comparison) or ["- none: no object changed on both sides, and either order gives the same schema"]
    lines.append("")
    if head.migrations:
        lines += _diagram(comparison)
    return lines


def _collisions(comparison: Comparison) -> list[str]:
    found = [_conflict(c) for c in comparison.conflicts[:MAX_CONFLICTS]]
    if len(comparison.conflicts) > MAX_CONFLICTS:
        found.append(f"- and {len(comparison.conflicts) - MAX_CONFLICTS} more")
    if comparison.order_problem:
        found.append(f"- order: {_inline(comparison.order_problem)}")
    elif comparison.same_in_either_order is False:
        found.append("- order: the two sides give **different schemas** depending on which is deployed first")
    misordered = _misordered(comparison)
    if misordered:
        names = ", ".join(f"`{i}`" for i in misordered[:MAX_CHANGES]) + (f" and {len(misordered) - MAX_CHANGES} more" if len(misordered) > MAX_CHANGES else "")
        found.append(f"- order: {names} {'sorts' if len(misordered) == 1 else 'sort'} before `{_newest_on_base(comparison)}`, "
                     f"newest on `{comparison.base.ref}`: run `teamigrate rebase`")
    return found


def _conflict(conflict: Conflict) -> str:
    verb = "both changed" if conflict.kind == "both-changed" else "dropped on one side, used on the other:"
    return f"- {verb} `{conflict.object}` ({_inline(conflict.detail)})"


def _newest_on_base(comparison: Comparison) -> str | None:
    return comparison.base.migrations[-1].id if comparison.base.migrations else comparison.common_newest


def _misordered(comparison: Comparison) -> list[str]:
    newest = _newest_on_base(comparison)
    return [m.id for m in comparison.head.migrations if newest is not None and m.id < newest]


def _diagram(comparison: Comparison) -> list[str]:
    """The two lines of history since the merge base; what sorts before the base's newest is marked."""
    start = comparison.common_newest or "(no migrations)"
    lines = ["```mermaid", "flowchart LR", f'  start["{_label(start)}"]']
    misordered = set(_misordered(comparison))
    for prefix, side in (("b", comparison.base), ("h", comparison.head)):
        if not side.migrations:
            continue
        lines.append(f'  subgraph {prefix}_side ["{_label(side.ref)}"]')
        names = []
        for index, migration in enumerate(side.migrations[:MAX_LANE]):
            mark = ":::misordered" if migration.id in misordered else ""
            lines.append(f'    {prefix}{index}["{_label(migration.id)}"]{mark}')
            names.append(f"{prefix}{index}")
        if len(side.migrations) > MAX_LANE:
            lines.append(f'    {prefix}_more["and {len(side.migrations) - MAX_LANE} more"]')
            names.append(f"{prefix}_more")
        lines.append("  end")
        lines.append("  start --> " + " --> ".join(names))
    if misordered:
        lines.append("  classDef misordered fill:#fdd,stroke:#c00")
    return lines + ["```", ""]


def _other_pairs(comparisons: Sequence[Comparison]) -> list[str]:
    if not comparisons:
        return []
    colliding = [c for c in comparisons if _collisions(c)]
    lines = ["### Other open branches", ""]
    for comparison in colliding[:MAX_CONFLICTS]:
        lines.append(f"- `{comparison.base_ref}` ↔ `{comparison.head_ref}`:")
        lines += ["  " + item for item in _collisions(comparison)]
    if len(colliding) > MAX_CONFLICTS:
        lines.append(f"- and {len(colliding) - MAX_CONFLICTS} more pairs that collide")
    quiet = len(comparisons) - len(colliding)
    if quiet:
        lines.append(f"- no collisions in {output.count(quiet, 'other pair')} of branches")
    return lines + [""]


def _changes_cell(migration: MigrationChanges) -> str:
    if migration.recorded_only:
        return f"squash of {output.count(len(migration.replaces), 'migration')} already in the history: recorded, not run"
    # A table created here brings its columns, keys and indexes: "add table" says it.
    created = {c.name for c in migration.changes if c.kind == "table" and c.action == "add"}
    shown = [c for c in migration.changes if c.kind == "table" or not (c.action == "add" and c.table in created)]
    words = [f"{c.action} {c.kind} `{c.name}`" + (f": {c.detail}" if c.detail else "") for c in shown]
    return _capped_cell(words, MAX_CHANGES)


def _capped_cell(items: Sequence[str], limit: int) -> str:
    if not items:
        return NONE
    shown = [_cell(item) for item in items[:limit]]
    if len(items) > limit:
        shown.append(f"and {len(items) - limit} more")
    return "<br>".join(shown)


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")


def _inline(text: str) -> str:
    return " ".join(text.split())


def _label(text: str) -> str:
    # Mermaid reads a quoted label up to the next double quote.
    return text.replace('"', "#quot;")

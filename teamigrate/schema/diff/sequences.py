"""Sequences: their options, and the column each belongs to (OWNED BY)."""

from __future__ import annotations

from dataclasses import replace

from teamigrate.schema import ddl
from teamigrate.schema.diff.comments import alter_comment
from teamigrate.schema.diff.draft import POST, PRE, PlanDraft
from teamigrate.schema.model import Key, Sequence
from teamigrate.schema.quoting import quote_ident


def create_sequence(draft: PlanDraft, key: Key, sequence: Sequence) -> None:
    draft.emit(POST, key, ddl.create_sequence(sequence))


def alter_sequence(draft: PlanDraft, key: Key, old: Sequence, new: Sequence) -> list[str]:
    details = []
    clauses = ddl.sequence_option_clauses(new.options, compared_to=old.options)
    if clauses:
        narrowed = new.options.minimum > old.options.minimum or new.options.maximum < old.options.maximum
        draft.emit(POST, key, ddl.alter_sequence(new, clauses, range_narrowed=narrowed))
        details.append(", ".join(clause.lower() for clause in clauses))
    if old.owned_by != new.owned_by:
        details.append("owned by " + (".".join(quote_ident(part) for part in new.owned_by) if new.owned_by else "none"))
    return details + alter_comment(draft, key, old, new)


def sequence_ownership(draft: PlanDraft) -> None:
    """OWNED BY of every target sequence, once its column exists: a node of its own ("owner") in the graph.

    A sequence that stays while the column owning it goes (the column or its table dropped or re-created) is released
    first ("pre" phase, before that drop, which would drop the sequence too)."""
    for key, sequence in draft.target.sequences.items():
        previous = draft.source.sequences.get(key)
        recreated = previous is None or key in draft.classified.rebuilt
        if not recreated and previous is not None and previous.owned_by is not None and _owner_goes(draft, previous.owned_by):
            draft.emit(PRE, ("owner", *key[1:]), ddl.sequence_owned_by(replace(previous, owned_by=None)))
            if sequence.owned_by is not None:
                draft.emit(POST, ("owner", *key[1:]), ddl.sequence_owned_by(sequence))
            continue
        if sequence.owned_by is None:
            if previous is not None and previous.owned_by is not None and not recreated:
                draft.emit(POST, ("owner", *key[1:]), ddl.sequence_owned_by(sequence))
            continue
        if recreated or previous is None or previous.owned_by != sequence.owned_by:
            draft.emit(POST, ("owner", *key[1:]), ddl.sequence_owned_by(sequence))


def _owner_goes(draft: PlanDraft, owned_by: tuple[str, str, str]) -> bool:
    """Whether the plan drops the column (or the table) that owns a sequence."""
    classified = draft.classified
    column: Key = ("column", *owned_by)
    table: Key = ("table", *owned_by[:2])
    return any(key in keys for key in (column, table) for keys in (classified.removed, classified.rebuilt, classified.implicit))

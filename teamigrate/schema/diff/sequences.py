"""Sequences: their options, and the column each belongs to (OWNED BY)."""

from __future__ import annotations

from teamigrate.schema import ddl
from teamigrate.schema.diff.comments import alter_comment
from teamigrate.schema.diff.draft import POST, PlanDraft
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
    """OWNED BY of every target sequence, once its column exists: a node of its own ("owner") in the graph."""
    for key, sequence in draft.target.sequences.items():
        previous = draft.source.sequences.get(key)
        recreated = previous is None or key in draft.classified.rebuilt
        if sequence.owned_by is None:
            if previous is not None and previous.owned_by is not None and not recreated:
                draft.emit(POST, ("owner", *key[1:]), ddl.sequence_owned_by(sequence))
            continue
        if recreated or previous is None or previous.owned_by != sequence.owned_by:
            draft.emit(POST, ("owner", *key[1:]), ddl.sequence_owned_by(sequence))

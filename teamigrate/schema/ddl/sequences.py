"""DDL for sequences: their option clauses (shared with identity columns), creation, alteration and ownership."""

from __future__ import annotations

from teamigrate.schema.model import Sequence, SequenceOptions
from teamigrate.schema.quoting import qualified, quote_ident

_INTEGER_RANGES = {
    "smallint": (-32768, 32767),
    "integer": (-2147483648, 2147483647),
    "bigint": (-9223372036854775808, 9223372036854775807),
}


def sequence_option_clauses(options: SequenceOptions, *, with_type: bool = True, compared_to: SequenceOptions | None = None) -> list[str]:
    """The clauses of CREATE/ALTER SEQUENCE that differ from `compared_to`, or from PostgreSQL's defaults."""
    if compared_to is None:
        low, high = _INTEGER_RANGES.get(options.data_type, _INTEGER_RANGES["bigint"])
        ascending = options.increment > 0
        compared_to = SequenceOptions(
            data_type="bigint",
            start=options.minimum if ascending else options.maximum,
            increment=1,
            minimum=1 if ascending else low,
            maximum=high if ascending else -1,
            cache=1,
            cycle=False,
        )
    clauses = []
    if with_type and options.data_type != compared_to.data_type:
        clauses.append(f"AS {options.data_type}")
    if options.increment != compared_to.increment:
        clauses.append(f"INCREMENT BY {options.increment}")
    if options.minimum != compared_to.minimum:
        clauses.append(f"MINVALUE {options.minimum}")
    if options.maximum != compared_to.maximum:
        clauses.append(f"MAXVALUE {options.maximum}")
    if options.start != compared_to.start:
        clauses.append(f"START WITH {options.start}")
    if options.cache != compared_to.cache:
        clauses.append(f"CACHE {options.cache}")
    if options.cycle != compared_to.cycle:
        clauses.append("CYCLE" if options.cycle else "NO CYCLE")
    return clauses


def create_sequence(sequence: Sequence) -> str:
    clauses = sequence_option_clauses(sequence.options)
    return f"CREATE SEQUENCE {sequence.display}" + "".join(f" {clause}" for clause in clauses)


def alter_sequence(sequence: Sequence, clauses: list[str], *, range_narrowed: bool) -> str:
    alter = f"ALTER SEQUENCE {sequence.display} {' '.join(clauses)}"
    if not range_narrowed:
        return alter
    # The current value is data and is kept; only when it falls outside the
    # narrower range (where PostgreSQL refuses the ALTER) does it restart at START.
    return (
        f"DO $teamigrate$\nBEGIN\n"
        f"  IF (SELECT last_value FROM {sequence.display}) BETWEEN {sequence.options.minimum} AND {sequence.options.maximum} THEN\n"
        f"    {alter};\n  ELSE\n    {alter} RESTART;\n  END IF;\nEND\n$teamigrate$"
    )


def sequence_owned_by(sequence: Sequence) -> str:
    if sequence.owned_by is None:
        return f"ALTER SEQUENCE {sequence.display} OWNED BY NONE"
    table = qualified(sequence.owned_by[0], sequence.owned_by[1])
    return f"ALTER SEQUENCE {sequence.display} OWNED BY {table}.{quote_ident(sequence.owned_by[2])}"

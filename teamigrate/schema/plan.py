"""What a diff produces: statements with their hazards, and the changes they make, for people and machines."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Hazard(str, enum.Enum):
    DROPS_DATA = "drops-data"
    MAY_FAIL = "may-fail-on-existing-data"
    REWRITES_TABLE = "rewrites-table"
    LOCKS_TABLE = "locks-table"
    NOT_TRANSACTIONAL = "cannot-run-in-transaction"
    DROPS_DEPENDANTS = "drops-dependants"
    FAILS_IF_ROWS = "fails-if-table-has-rows"
    SCANS_TABLE = "scans-table"
    RECREATES_TABLE = "recreates-table"

    @property
    def explanation(self) -> str:
        return _EXPLANATIONS[self]


_EXPLANATIONS = {
    Hazard.DROPS_DATA: "the data in {subject} is lost",
    Hazard.MAY_FAIL: "fails if existing data in {subject} does not fit",
    Hazard.REWRITES_TABLE: "rewrites {subject} under an exclusive lock",
    Hazard.LOCKS_TABLE: "locks {subject} against writes while it runs",
    Hazard.NOT_TRANSACTIONAL: "{subject} must run outside a transaction",
    Hazard.DROPS_DEPENDANTS: "drops objects that depend on {subject}; they are recreated later in this plan",
    Hazard.FAILS_IF_ROWS: (
        "a NOT NULL column without a default fails if {subject} has rows (the proof runs on an empty copy): "
        "give it a DEFAULT, or add it nullable, fill it, then SET NOT NULL in a later migration"
    ),
    Hazard.SCANS_TABLE: "reads every row of {subject} to check that it fits, under a lock that blocks writes",
    Hazard.RECREATES_TABLE: (
        "{subject} is created again, empty (PostgreSQL cannot alter a table into or out of this partitioning): "
        "copy its rows aside before the drop and back after, or write this step by hand"
    ),
}


@dataclass(frozen=True)
class Statement:
    sql: str  # one statement, without its trailing semicolon
    hazards: frozenset[Hazard] = frozenset()
    # False where PostgreSQL would refuse or misbehave inside the migration's transaction
    # (an enum value added and then used in the same transaction).
    transactional: bool = True
    subject: str = ""  # the object the hazards are about, as people name it

    def hazard_comments(self) -> list[str]:
        return [
            f"-- hazard: {hazard.value}: {hazard.explanation.format(subject=self.subject)}"
            for hazard in sorted(self.hazards, key=lambda h: h.value)
        ]


@dataclass(frozen=True)
class Change:
    kind: str  # schema, extension, enum, domain, type, sequence, table, column, constraint, index, view, ...
    action: str  # add, drop, alter
    name: str  # qualified, quoted only where needed
    table: str | None  # the table (or view) it belongs to, for grouping
    detail: str = ""


@dataclass(frozen=True)
class Plan:
    statements: list[Statement] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.statements

    @property
    def hazards(self) -> set[Hazard]:
        return {hazard for statement in self.statements for hazard in statement.hazards}

    @property
    def data_loss_statements(self) -> list[Statement]:
        return [s for s in self.statements if Hazard.DROPS_DATA in s.hazards]

    @property
    def changed_objects(self) -> tuple[str, ...]:
        """`kind name` of each object (a table, a column, an index…) the plan adds, drops or alters, sorted."""
        return tuple(sorted({f"{change.kind} {change.name}" for change in self.changes}))

    @property
    def transactional(self) -> bool:
        return all(s.transactional for s in self.statements)

    def to_sql(self, comments: bool = True) -> str:
        blocks = []
        for statement in self.statements:
            lines = statement.hazard_comments() if comments else []
            lines.append(statement.sql.rstrip() + ";")
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks) + "\n" if blocks else ""

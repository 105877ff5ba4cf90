"""Pure planning: states from folders and history rows, what blocks a deploy, what is pending."""

from __future__ import annotations

from datetime import datetime, timezone

from teamigrate.history.migrations import Migration
from teamigrate.history.states import blocking_problem, migration_states, pending, unrecorded_replacements
from teamigrate.history.sumfile import parse_conflicted
from teamigrate.history.table import HistoryRow

T0 = datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc)


def row(migration: Migration | str, state: str = "applied", checksum: str | None = None, error: str | None = None) -> HistoryRow:
    migration_id = migration if isinstance(migration, str) else migration.id
    recorded = checksum or (migration.checksum if isinstance(migration, Migration) else "0" * 64)
    return HistoryRow(migration_id, recorded, state, T0, T0 if state == "applied" else None, 5, "postgres", "dev", None, error, 3 if error else None, None, ())


A = Migration("20261126093000_a", "CREATE TABLE a ();\n")
B = Migration("20261126093100_b", "CREATE TABLE b ();\n")
C = Migration("20261126093200_c", "CREATE TABLE c ();\n")


def test_each_state() -> None:
    edited_b = Migration(B.id, "CREATE TABLE b (x int);\n")
    states = migration_states([A, edited_b, C], [row(A), row(B), row("20261126092000_gone"), row(C, "failed", error="boom")])
    assert [(s.id, s.state) for s in states] == [
        ("20261126092000_gone", "missing"), (A.id, "applied"), (B.id, "modified"), (C.id, "failed"),
    ]
    assert states[1].applied_at == T0 and states[3].applied_at is None
    assert states[2].checksum == edited_b.checksum  # the file's, so `status` shows what is checked out


def test_pending_rolled_back_and_order() -> None:
    states = migration_states([C, A, B], [row(A), row(B, "rolled_back")])
    assert pending(states) == (B, C)
    assert blocking_problem(states) is None


def test_failed_blocks_before_modified_and_started_counts_as_failed() -> None:
    edited = Migration(A.id, "CREATE TABLE a (x int);\n")
    problem = blocking_problem(migration_states([edited, B], [row(A), row(B, "started")]))
    assert problem is not None and problem.code == "TM214" and problem.migration_id == B.id
    assert "interrupted" in problem.message and f"resolve --rolled-back {B.id}" in problem.hint
    modified = blocking_problem(migration_states([edited], [row(A)]))
    assert modified is not None and modified.code == "TM215"


def test_a_squashed_migration_counts_as_applied_where_its_range_was() -> None:
    squashed = Migration("20261126093300_squashed", f"-- teamigrate: replaces {A.id} {B.id}\nCREATE TABLE a ();\nCREATE TABLE b ();\n")
    states = migration_states([squashed], [row(A), row(B)])
    assert [(s.id, s.state) for s in states] == [(squashed.id, "applied")]
    assert unrecorded_replacements(states) == (squashed,)
    assert pending(migration_states([squashed], [row(A)])) == (squashed,)


def test_parse_conflicted_with_a_diff3_base_and_two_hunks() -> None:
    a, b, c, d = (f"2026112609300{i}_m{i} h1:{'A' * 43}=" for i in range(4))
    text = "\n".join([
        "<<<<<<< ours", "h1:" + "B" * 43 + "=", "||||||| base", "h1:" + "C" * 43 + "=", "=======", "h1:" + "D" * 43 + "=", ">>>>>>> theirs",
        a, b, "<<<<<<< ours", c, "||||||| base", "=======", d, ">>>>>>> theirs",
    ]) + "\n"
    conflict = parse_conflicted(text)
    assert [line.id for line in conflict.common] == ["20261126093000_m0", "20261126093001_m1"]
    assert conflict.ours_ids == ("20261126093002_m2",)
    assert conflict.theirs_ids == ("20261126093003_m3",)

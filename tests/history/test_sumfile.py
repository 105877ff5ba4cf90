"""teamigrate.sum: chained hashes, parsing, verification errors, conflicts made by a real git merge."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from teamigrate.errors import MigrationError
from teamigrate.history.migrations import Migration
from teamigrate.history.sumfile import SumFile, has_conflict_markers, parse_conflicted, verify
from tests.conftest import git

A = Migration("20261126093000_init", "CREATE TABLE a ();\n")
B = Migration("20261127101500_add_b", "CREATE TABLE b ();\n")
C = Migration("20261128101500_add_c", "CREATE TABLE c ();\n")


def b64(digest: bytes) -> str:
    return "h1:" + base64.b64encode(digest).decode()


def test_format_is_exactly_the_documented_chain() -> None:
    first = hashlib.sha256(A.id.encode() + A.sql.encode()).digest()
    second = hashlib.sha256(first + B.id.encode() + B.sql.encode()).digest()
    body = f"{A.id} {b64(first)}\n{B.id} {b64(second)}\n"
    expected = f"{b64(hashlib.sha256(body.encode()).digest())}\n{body}"
    assert SumFile.compute([A, B]).render() == expected


def test_parse_render_round_trip_and_hash_of() -> None:
    computed = SumFile.compute([A, B, C])
    parsed = SumFile.parse(computed.render())
    assert parsed == computed
    assert parsed.ids == (A.id, B.id, C.id)
    assert parsed.hash_of(B.id) == computed.lines[1].hash
    assert parsed.hash_of("20990101000000_none") is None


def test_an_edit_changes_its_line_and_every_later_one_but_no_earlier_one() -> None:
    edited = Migration(B.id, B.sql + "-- edit\n")
    before, after = SumFile.compute([A, B, C]).lines, SumFile.compute([A, edited, C]).lines
    assert before[0] == after[0]
    assert before[1] != after[1] and before[2] != after[2]


def test_empty_history() -> None:
    empty = SumFile.compute([])
    assert empty.render() == b64(hashlib.sha256(b"").digest()) + "\n"
    assert verify([], empty.render()) == empty
    assert verify([], "") == empty  # a zero-byte file reads as no migrations


def verify_error(migrations: list[Migration], text: str | None) -> MigrationError:
    with pytest.raises(MigrationError) as caught:
        verify(migrations, text)
    assert caught.value.hint
    return caught.value


def test_verify_names_what_is_wrong() -> None:
    recorded = SumFile.compute([A, B]).render()
    assert verify([A, B], recorded).ids == (A.id, B.id)

    missing = verify_error([A, B], None)
    assert missing.code == "TM206" and "teamigrate hash" in missing.hint

    added = verify_error([A, B, C], recorded)
    assert added.code == "TM207" and added.migration_id == C.id and "not in" in added.message

    removed = verify_error([A], recorded)
    assert removed.code == "TM207" and removed.migration_id == B.id and "gone" in removed.message

    inserted = Migration("20261126100000_between", "SELECT 1;\n")
    assert verify_error([A, inserted, B], recorded).migration_id == inserted.id

    edited = verify_error([Migration(A.id, "CREATE TABLE a (x int);\n"), B], recorded)
    assert edited.code == "TM207" and edited.migration_id == A.id and "differs" in edited.message

    lines = recorded.splitlines()
    forged = "\n".join([lines[0], lines[2], lines[1]]) + "\n"
    assert verify_error([A, B], forged).code == "TM208"

    assert verify_error([A, B], "not a sum file\n").code == "TM210"
    assert verify_error([A, B], recorded + "garbage line\n").code == "TM210"


def conflicted_sum(tmp_path: Path) -> str:
    """Two branches each add a migration; `git merge` leaves teamigrate.sum conflicted."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "teamigrate.sum").write_text(SumFile.compute([A]).render())
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "init")
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "teamigrate.sum").write_text(SumFile.compute([A, C]).render())
    git(repo, "commit", "-q", "-am", "feature adds c")
    git(repo, "checkout", "-q", "main")
    (repo / "teamigrate.sum").write_text(SumFile.compute([A, B]).render())
    git(repo, "commit", "-q", "-am", "main adds b")
    git(repo, "checkout", "-q", "feature")
    import subprocess

    merge = subprocess.run(["git", "merge", "main"], cwd=repo, capture_output=True, text=True)
    assert merge.returncode != 0, "the merge must conflict on purpose"
    return (repo / "teamigrate.sum").read_text()


def test_a_merge_of_two_branches_that_add_migrations_conflicts_and_is_parsed(tmp_path: Path) -> None:
    text = conflicted_sum(tmp_path)
    assert has_conflict_markers(text)
    error = verify_error([A, B, C], text)
    assert error.code == "TM209"
    assert "git merge" in error.message and "teamigrate rebase" in error.hint

    conflict = parse_conflicted(text)
    assert conflict.common == SumFile.compute([A]).lines
    assert conflict.ours_ids == (C.id,)  # the branch being merged into: feature
    assert conflict.theirs_ids == (B.id,)
    assert conflict.theirs == (SumFile.compute([A, B]).lines[1],)

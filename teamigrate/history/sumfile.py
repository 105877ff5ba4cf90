"""teamigrate.sum: the chained-hash integrity and ordering file of a migrations folder.

Format (DESIGN.md):

    h1:<total>
    <id> h1:<chained>
    ...

Precisely:

- chained(i) = sha256(digest(i-1) || id(i) as UTF-8 || bytes of migration.sql(i)),
  where digest(i-1) is the raw 32-byte sha256 digest of the previous migration
  line (not its text) and empty bytes for the first migration.
- A line's text is `<id> h1:` + standard base64 (with padding) of its digest.
- total = sha256 over the migration lines' text, each followed by "\\n";
  the first line is `h1:` + its base64.
- The file ends with a newline. A zero-byte file reads as "no migrations".

Because each digest feeds the next, two branches that each add a migration
always change the same lines (git conflicts on purpose), and digest(i) names
the schema state after the first i migrations (the shadow caches by it).

Public API: `SumFile` (`compute`, `parse`, `render`, `write`, `hash_of`),
`verify(migrations, text)`, `parse_conflicted(text) -> ConflictedSum`,
`has_conflict_markers(text)`, `chained_digests(migrations)`,
`write_sum_file(directory)`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from teamigrate.errors import MigrationError
from teamigrate.history.migrations import Migration, MigrationDirectory, is_migration_id

PREFIX = "h1:"
_LINE = re.compile(r"^(\S+) (h1:[A-Za-z0-9+/]{43}=)$")
_TOTAL = re.compile(r"^h1:[A-Za-z0-9+/]{43}=$")
_MARKERS = ("<<<<<<<", "=======", ">>>>>>>", "|||||||")
_STALE_HINT = "restore the migration if the change was not intended; otherwise run `teamigrate hash` and commit teamigrate.sum"


def encode(digest: bytes) -> str:
    return PREFIX + base64.b64encode(digest).decode("ascii")


def decode(text: str) -> bytes:
    return base64.b64decode(text.removeprefix(PREFIX))


def chained_digest(previous: bytes, migration_id: str, sql: bytes) -> bytes:
    return hashlib.sha256(previous + migration_id.encode("utf-8") + sql).digest()


def chained_digests(migrations: Sequence[Migration]) -> list[bytes]:
    digests: list[bytes] = []
    previous = b""
    for migration in migrations:
        previous = chained_digest(previous, migration.id, migration.sql_bytes)
        digests.append(previous)
    return digests


@dataclass(frozen=True)
class SumLine:
    id: str
    hash: str  # "h1:<base64>"

    def render(self) -> str:
        return f"{self.id} {self.hash}"


def _total(lines: Sequence[SumLine]) -> str:
    return encode(hashlib.sha256("".join(line.render() + "\n" for line in lines).encode("utf-8")).digest())


@dataclass(frozen=True)
class SumFile:
    lines: tuple[SumLine, ...]
    total: str

    @classmethod
    def compute(cls, migrations: Sequence[Migration]) -> SumFile:
        lines = tuple(SumLine(m.id, encode(d)) for m, d in zip(migrations, chained_digests(migrations)))
        return cls(lines, _total(lines))

    @property
    def hashes(self) -> list[str]:
        """Each line's chained hash: the replay cache names the prefix ending there by it."""
        return [line.hash for line in self.lines]

    @classmethod
    def parse(cls, text: str, where: str = "teamigrate.sum") -> SumFile:
        if has_conflict_markers(text):
            raise _conflict_error(text, where)
        rows = text.splitlines()
        if not rows:
            return cls.compute(())
        if not _TOTAL.match(rows[0].strip()):
            raise MigrationError("TM210", f"{where} line 1 is not `h1:<hash>`", "run `teamigrate hash` to rewrite it")
        lines = []
        for number, row in enumerate(rows[1:], start=2):
            if not row.strip():
                continue
            match = _LINE.match(row.strip())
            if not match or not is_migration_id(match.group(1)):
                raise MigrationError("TM210", f"{where} line {number} is not `<migration id> h1:<hash>`: {row[:80]!r}", "run `teamigrate hash` to rewrite it")
            lines.append(SumLine(match.group(1), match.group(2)))
        return cls(tuple(lines), rows[0].strip())

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(line.id for line in self.lines)

    def hash_of(self, migration_id: str) -> str | None:
        return next((line.hash for line in self.lines if line.id == migration_id), None)

    def render(self) -> str:
        return "".join(row + "\n" for row in (self.total, *(line.render() for line in self.lines)))

    def write(self, path: Path) -> None:
        write_atomically(path, self.render().encode("utf-8"))


def write_atomically(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and a rename, so readers never see half a file."""
    import tempfile  # 2 ms (shutil, bz2, lzma): not for the commands that only read the sum file

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def has_conflict_markers(text: str) -> bool:
    return any(row.startswith(_MARKERS) for row in text.splitlines())


@dataclass(frozen=True)
class ConflictedSum:
    """teamigrate.sum as git left it, split into the history both sides share and what each side adds.

    Each side's full list is the file with the other side's hunk parts left
    out; `common` is their longest shared prefix (chained hashes make equal
    lines mean equal history up to there) and `ours`/`theirs` are the rest.
    `ours` is the side after `<<<<<<<`, `theirs` the side before `>>>>>>>`;
    during `git rebase` git's "ours" is the branch being rebased onto and
    "theirs" the commit being replayed, so the caller swaps them. A diff3 base
    section is ignored. Total (`h1:` only) lines are dropped: they are rewritten.
    """

    common: tuple[SumLine, ...]
    ours: tuple[SumLine, ...]
    theirs: tuple[SumLine, ...]

    @property
    def ours_ids(self) -> tuple[str, ...]:
        return tuple(line.id for line in self.ours)

    @property
    def theirs_ids(self) -> tuple[str, ...]:
        return tuple(line.id for line in self.theirs)


def parse_conflicted(text: str, where: str = "teamigrate.sum") -> ConflictedSum:
    ours: list[SumLine] = []
    theirs: list[SumLine] = []
    section = "both"
    for number, row in enumerate(text.splitlines(), start=1):
        if row.startswith("<<<<<<<"):
            section = "ours"
        elif row.startswith("|||||||"):
            section = "base"
        elif row.startswith("======="):
            section = "theirs"
        elif row.startswith(">>>>>>>"):
            section = "both"
        elif row.strip() and not _TOTAL.match(row.strip()) and section != "base":
            match = _LINE.match(row.strip())
            if not match:
                raise MigrationError("TM210", f"{where} line {number} is not `<migration id> h1:<hash>`: {row[:80]!r}", "resolve the conflict by hand, or run `teamigrate hash`")
            line = SumLine(match.group(1), match.group(2))
            if section in ("both", "ours"):
                ours.append(line)
            if section in ("both", "theirs"):
                theirs.append(line)
    shared = 0
    while shared < min(len(ours), len(theirs)) and ours[shared] == theirs[shared]:
        shared += 1
    return ConflictedSum(tuple(ours[:shared]), tuple(ours[shared:]), tuple(theirs[shared:]))


def _conflict_error(text: str, where: str) -> MigrationError:
    line = next(number for number, row in enumerate(text.splitlines(), start=1) if row.startswith(_MARKERS))
    return MigrationError(
        "TM209",
        f"{where} has git conflict markers (line {line}): a `git merge` or `git rebase` found migrations added on both sides",
        "run `teamigrate rebase` to move this branch's migrations after the other side's and rewrite teamigrate.sum",
    )


def verify(migrations: Sequence[Migration], text: str | None, where: str = "migrations/teamigrate.sum") -> SumFile:
    """The sum file recorded for `migrations`; a MigrationError naming the first thing that is wrong."""
    if text is None:
        raise MigrationError("TM206", f"{where} is missing", "run `teamigrate hash` to write it, then commit it with the migrations")
    recorded = SumFile.parse(text, where)
    if recorded.total != _total(recorded.lines):
        raise MigrationError("TM208", f"the first line of {where} does not match the lines below it (edited by hand?)", "run `teamigrate hash` to rewrite it")
    actual = SumFile.compute(migrations)
    if actual == recorded:
        return recorded
    on_disk = {m.id for m in migrations}
    in_sum = set(recorded.ids)
    for index in range(max(len(actual.lines), len(recorded.lines))):
        mine = actual.lines[index] if index < len(actual.lines) else None
        theirs = recorded.lines[index] if index < len(recorded.lines) else None
        if mine == theirs:
            continue
        if theirs is not None and theirs.id not in on_disk:
            message = f"migration {theirs.id} is in {where} but its folder is gone (removed or renamed)"
            culprit = theirs.id
        elif mine is not None and mine.id not in in_sum:
            message = f"migration {mine.id} is not in {where} (added without `teamigrate hash`)"
            culprit = mine.id
        elif mine is not None and theirs is not None and mine.id == theirs.id:
            message = f"migration {mine.id}'s migration.sql differs from what {where} recorded (edited?)"
            culprit = mine.id
        else:
            culprit = (mine or theirs).id  # type: ignore[union-attr]
            message = f"{where} lists the migrations in another order than the folder (first difference at {culprit})"
        raise MigrationError("TM207", message, _STALE_HINT, migration_id=culprit)
    raise AssertionError("unreachable: the sum files differ but no line does")


def write_sum_file(directory: MigrationDirectory) -> SumFile:
    """`teamigrate hash`: rewrite teamigrate.sum from the migrations as they are on disk."""
    computed = SumFile.compute(directory.migrations())
    computed.write(directory.resolved_sum_path())
    return computed

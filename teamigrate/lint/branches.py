"""The drop-used-on-branch rule: a DROP here of a table or column that a migration on another open branch uses.

A plain SQL scan of the other branches' new migrations (read from git, never
checked out): quick enough for every `lint`, unlike `changes`, which replays
both sides in the shadow database to find the same conflict exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from teamigrate.config import Config
from teamigrate.history.migrations import MIGRATION_FILE
from teamigrate.lint.diagnostics import Diagnostic
from teamigrate.lint.rules import CONTEXT_RULES, PREFIX
from teamigrate.lint.statements import Statement, Word, parse_statements
from teamigrate.lint.target import LintTarget

RULE = CONTEXT_RULES[0]
_DROP = re.compile(r"\bDROP\b", re.IGNORECASE)


@dataclass(frozen=True)
class BranchMigration:
    """A migration that exists on another open branch and not here."""

    branch: str
    id: str
    sql: str


@dataclass(frozen=True)
class Dropped:
    kind: Literal["table", "column"]
    table: str  # folded: unquoted, lower-case, without schema
    column: str | None
    shown: str  # as written, for the message
    statement: Statement


def _fold(words: Sequence[Word]) -> str:
    """The object's own name: the last part of a qualified name, unquoted, lower-cased."""
    parts = [w.text for w in words if w.text != "."]
    return parts[-1].strip('"').lower() if parts else ""


def _split_top_level(words: Sequence[Word]) -> list[list[Word]]:
    groups: list[list[Word]] = [[]]
    for word in words:
        if word.text == "," and word.depth == 0:
            groups.append([])
        else:
            groups[-1].append(word)
    return [group for group in groups if group]


def dropped_objects(statements: Sequence[Statement]) -> Iterator[Dropped]:
    for statement in statements:
        upper = [w.upper for w in statement.words]
        if upper[:2] == ["DROP", "TABLE"]:
            names = [w for w in statement.words[2:] if w.upper not in ("IF EXISTS", "CASCADE", "RESTRICT")]
            for group in _split_top_level(names):
                yield Dropped("table", _fold(group), None, "".join(w.text for w in group), statement)
        elif upper[:2] == ["ALTER", "TABLE"] and "DROP" in upper:
            at = 2
            while at < len(upper) and upper[at] in ("IF EXISTS", "ONLY"):
                at += 1
            end = at
            while end < len(upper) and (upper[end] == "." or not statement.words[end].keyword) and upper[end] != "*":
                end += 1
            table_words = statement.words[at:end]
            for action in _split_top_level(statement.words[end:]):
                words = [w for w in action if w.upper not in ("*", "COLUMN", "IF EXISTS", "CASCADE", "RESTRICT")]
                if len(words) >= 2 and words[0].upper == "DROP" and words[1].upper not in ("CONSTRAINT", "DEFAULT", "NOT NULL", "IDENTITY", "EXPRESSION"):
                    table = "".join(w.text for w in table_words)
                    yield Dropped("column", _fold(table_words), _fold(words[1:2]), f"{table}.{words[1].text}", statement)


def _uses(statement: Statement, dropped: Dropped) -> bool:
    names = {w.text.strip('"').lower() for w in statement.words}
    return dropped.table in names and (dropped.column is None or dropped.column in names)


def check_drop_used_on_branch(target: LintTarget, others: Sequence[BranchMigration]) -> Iterator[Diagnostic]:
    if not others or not _DROP.search(target.sql):
        return
    drops = list(dropped_objects(parse_statements(target.sql)))
    if not drops:
        return
    for other in others:
        other_statements = parse_statements(other.sql)
        for dropped in drops:
            use = next((s for s in other_statements if _uses(s, dropped)), None)
            if use is None:
                continue
            yield Diagnostic(
                target.path, dropped.statement.line, dropped.statement.column, PREFIX + RULE, "warning",
                f"drops {dropped.kind} {dropped.shown}, which migration {other.id} on branch {other.branch} uses (its line {use.line})",
                f"agree with that branch first: merge it and adapt this migration, or keep the {dropped.kind} until nothing uses it",
            )


def open_branch_migrations(config: Config, targets: Sequence[LintTarget]) -> list[BranchMigration]:
    """Migrations that other branches added since they forked from this one; empty when no target drops anything."""
    if not any(_DROP.search(target.sql) for target in targets):
        return []
    from teamigrate.git import GitRepository

    repository = GitRepository.find(config.root)
    head = repository.head_commit() if repository else None
    if repository is None or head is None:
        return []
    folder = repository.relative(config.migrations)
    here = {path.name for path in config.migrations.iterdir()} if config.migrations.is_dir() else set()
    found: dict[str, BranchMigration] = {}
    seen_commits: set[str] = set()
    for branch, tip in sorted(repository.branch_tips().items()):
        if tip in seen_commits:
            continue
        seen_commits.add(tip)
        base = repository.merge_base(head, tip)
        if base is None or base == tip:  # unrelated, or already merged into this branch
            continue
        at_base = set(repository.folders_at(base, folder))
        for relative, data in sorted(repository.read_folder(tip, folder).items()):
            migration_id, _, name = relative.partition("/")
            if name != MIGRATION_FILE or migration_id in at_base or migration_id in here or migration_id in found:
                continue
            found[migration_id] = BranchMigration(branch, migration_id, data.decode("utf-8", errors="replace"))
    return list(found.values())

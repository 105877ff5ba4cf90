"""teamigrate's own rules: what squawk cannot see because it needs the migration's folder, its transaction mode or the team."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from teamigrate.lint.diagnostics import Diagnostic, Level
from teamigrate.lint.statements import Statement, Word, parse_statements
from teamigrate.lint.target import LintTarget

PREFIX = "teamigrate:"
NO_TRANSACTION_DIRECTIVE = "-- teamigrate: no-transaction"

Check = Callable[[LintTarget, Sequence[Statement]], Iterator[Diagnostic]]
Relevance = Callable[[LintTarget], bool]


@dataclass(frozen=True)
class Rule:
    name: str
    level: Level
    summary: str
    check: Check
    # A cheap test on the raw text: only files some rule may fire on are parsed,
    # which keeps linting hundreds of migrations fast.
    relevant: Relevance
    needs_statements: bool = True

    @property
    def code(self) -> str:
        return PREFIX + self.name


def _finding(rule: str, level: Level, target: LintTarget, statement: Statement | None, message: str, help: str) -> Diagnostic:
    line, column = (statement.line, statement.column) if statement else (1, 1)
    return Diagnostic(target.path, line, column, PREFIX + rule, level, message, help)


def _name(words: Iterable[Word]) -> str:
    return "".join(w.text for w in words)


# --- rename-table, rename-column ---------------------------------------------

_EXPAND_CONTRACT = (
    "expand and contract: add the new {kind} next to the old one, write to both, move every reader, "
    "and drop the old {kind} in a later migration once no deployed code uses it"
)
_RENAME_HELP = {
    "table": _EXPAND_CONTRACT.format(kind="table") + " (a view named after the old table can bridge the gap)",
    "column": _EXPAND_CONTRACT.format(kind="column"),
}


def _renames(statements: Sequence[Statement]) -> Iterator[tuple[str, Statement, str, str, str]]:
    for statement in statements:
        upper = [w.upper for w in statement.words]
        if upper[:2] != ["ALTER", "TABLE"] or "RENAME" not in upper:
            continue
        at = 2
        while at < len(upper) and upper[at] in ("IF EXISTS", "ONLY"):
            at += 1
        rename_at = upper.index("RENAME")
        table = _name(w for w in statement.words[at:rename_at] if w.text != "*")
        rest = statement.words[rename_at + 1 :]
        rest_upper = upper[rename_at + 1 :]
        if rest_upper[:1] == ["TO"] and len(rest) >= 2:
            yield "table", statement, table, table, _name(rest[1:])
        elif rest_upper[:1] not in (["CONSTRAINT"],) and "TO" in rest_upper:
            to_at = rest_upper.index("TO")
            old = _name(w for w in rest[:to_at] if w.upper != "COLUMN")
            yield "column", statement, table, old, _name(rest[to_at + 1 :])


def _rename_check(kind: str) -> Check:
    def check(target: LintTarget, statements: Sequence[Statement]) -> Iterator[Diagnostic]:
        for found, statement, table, old, new in _renames(statements):
            if found == kind:
                subject = old if kind == "table" else f"{table}.{old}"
                yield _finding(
                    f"rename-{kind}", "warning", target, statement,
                    f"renaming {kind} {subject} to {new} breaks code that still uses `{old}`",
                    _RENAME_HELP[kind],
                )

    return check


# --- missing-down --------------------------------------------------------------


def check_missing_down(target: LintTarget, statements: Sequence[Statement]) -> Iterator[Diagnostic]:
    if target.migration_folder is not None and not target.has_down:
        yield _finding(
            "missing-down", "info", target, None,
            f"migration {target.migration_folder.name} has no down.sql: `teamigrate rollback` cannot undo it",
            "write down.sql next to migration.sql (`teamigrate new` generates one)",
        )


# --- data-with-schema-change ---------------------------------------------------

_DDL_VERBS = ("CREATE", "ALTER", "DROP")
_DML_VERBS = ("UPDATE", "DELETE", "INSERT", "SELECT", "MERGE")


def _main_verb(statement: Statement) -> tuple[str, int]:
    """The data verb of the statement and its position, looking past a WITH clause's CTEs."""
    for index, word in enumerate(statement.words):
        if word.depth == 0 and word.upper in _DML_VERBS:
            return word.upper, index
        if index == 0 and word.upper != "WITH":
            break
    return statement.verb, 0


def _bulk_change(statement: Statement) -> tuple[str, str] | None:
    """(verb, table) when the statement changes rows without limiting which ones."""
    verb, at = _main_verb(statement)
    if verb not in ("UPDATE", "DELETE", "INSERT"):
        return None
    after = statement.words[at + 1 :]
    top = {w.upper for w in after if w.depth == 0}
    if "WHERE" in top or "LIMIT" in top or (verb == "INSERT" and "SELECT" not in top):
        return None
    names = [w for w in after if w.depth == 0 and w.upper not in ("FROM", "INTO", "ONLY")]
    table: list[Word] = []
    for word in names:
        if table and word.text != "." and table[-1].text != ".":
            break
        table.append(word)
    return verb, _name(table)


def check_data_with_schema_change(target: LintTarget, statements: Sequence[Statement]) -> Iterator[Diagnostic]:
    if not target.transactional:
        return
    ddl = [s for s in statements if s.verb in _DDL_VERBS]
    if not ddl:
        return
    for statement in statements:
        bulk = _bulk_change(statement)
        if bulk is None:
            continue
        verb, table = bulk
        yield _finding(
            "data-with-schema-change", "warning", target, statement,
            f"{verb} of every row of {table} in the same transaction as schema changes (line {ddl[0].line}): "
            "their locks are held until the data change ends",
            "move the data change into a migration of its own (batched if the table is large), or limit it with WHERE",
        )


# --- no-transaction-statement ----------------------------------------------------


def _needs_no_transaction(statement: Statement) -> str | None:
    """The statement's name when PostgreSQL refuses to run it inside a transaction block."""
    upper = [w.upper for w in statement.words if w.depth == 0]
    head = " ".join(upper[:3])
    if upper[:1] == ["CREATE"] and "INDEX" in upper[:3] and "CONCURRENTLY" in upper[:4]:
        return "CREATE INDEX CONCURRENTLY"
    if upper[:3] == ["DROP", "INDEX", "CONCURRENTLY"]:
        return "DROP INDEX CONCURRENTLY"
    if upper[:1] == ["REINDEX"] and ("CONCURRENTLY" in upper or (len(upper) > 1 and upper[1] in ("SYSTEM", "DATABASE"))):
        return "REINDEX CONCURRENTLY" if "CONCURRENTLY" in upper else f"REINDEX {upper[1]}"
    if upper[:1] == ["VACUUM"]:
        return "VACUUM"
    for words in ("CREATE DATABASE", "DROP DATABASE", "CREATE TABLESPACE", "DROP TABLESPACE", "ALTER SYSTEM"):
        if head.startswith(words):
            return words
    if upper[:2] == ["ALTER", "DATABASE"] and "TABLESPACE" in upper and "SET" in upper:
        return "ALTER DATABASE … SET TABLESPACE"
    if upper[:2] == ["ALTER", "TABLE"] and "DETACH" in upper and upper[-1] == "CONCURRENTLY":
        return "ALTER TABLE … DETACH PARTITION … CONCURRENTLY"
    return None


def check_no_transaction_statement(target: LintTarget, statements: Sequence[Statement]) -> Iterator[Diagnostic]:
    if not target.transactional:
        return
    for statement in statements:
        what = _needs_no_transaction(statement)
        if what is not None:
            yield _finding(
                "no-transaction-statement", "error", target, statement,
                f"{what} cannot run inside a transaction, and this migration runs in one",
                f"put it in a migration of its own whose first line is `{NO_TRANSACTION_DIRECTIVE}`",
            )


def _mentions(*words: str, transactional_only: bool = False) -> Relevance:
    patterns = [re.compile(rf"\b(?:{word})\b", re.IGNORECASE) for word in words]

    def relevant(target: LintTarget) -> bool:
        if transactional_only and not target.transactional:
            return False
        return all(pattern.search(target.sql) for pattern in patterns)

    return relevant


RULES: tuple[Rule, ...] = (
    Rule("rename-table", "warning", "a table rename breaks code that still uses the old name (expand and contract instead)",
         _rename_check("table"), _mentions("RENAME")),
    Rule("rename-column", "warning", "a column rename breaks code that still uses the old name (expand and contract instead)",
         _rename_check("column"), _mentions("RENAME")),
    Rule("missing-down", "info", "the migration has no down.sql, so `rollback` cannot undo it",
         check_missing_down, lambda target: True, needs_statements=False),
    Rule("data-with-schema-change", "warning", "a data change of every row shares a transaction with schema changes, holding their locks",
         check_data_with_schema_change, _mentions("CREATE|ALTER|DROP", "UPDATE|DELETE|INSERT", transactional_only=True)),
    Rule("no-transaction-statement", "error", "a statement PostgreSQL refuses inside a transaction, in a transactional migration",
         check_no_transaction_statement, _mentions("CONCURRENTLY|VACUUM|DATABASE|TABLESPACE|SYSTEM|REINDEX", transactional_only=True)),
)
# Rules that need more than the file: teamigrate/lint/branches.py reads other branches from git.
CONTEXT_RULES = ("drop-used-on-branch",)
RULE_NAMES = frozenset(rule.name for rule in RULES) | frozenset(CONTEXT_RULES)


def check_target(target: LintTarget, rules: Sequence[Rule] = RULES) -> list[Diagnostic]:
    relevant = [rule for rule in rules if rule.relevant(target)]
    statements = parse_statements(target.sql) if any(rule.needs_statements for rule in relevant) else []
    findings: list[Diagnostic] = []
    for rule in relevant:
        findings.extend(rule.check(target, statements))
    return findings

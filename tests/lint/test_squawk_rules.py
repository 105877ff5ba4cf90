"""squawk's rules through teamigrate: real migration files, one squawk run, positions, levels and settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from teamigrate.config import LintConfig
from teamigrate.lint import Diagnostic, lint_targets
from teamigrate.lint.target import target_for_file
from tests.lint.conftest import MigrationWriter

# Timeouts first, so squawk's require-*-timeout rules stay quiet unless a case wants them.
PREAMBLE = "SET lock_timeout = '1s';\nSET statement_timeout = '5s';\n"

# rule, the statement (written on line 3), the text squawk points at
CASES = [
    ("adding-required-field", "ALTER TABLE users ADD COLUMN IF NOT EXISTS email text NOT NULL;", "ADD COLUMN"),
    ("adding-not-nullable-field", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", "SET NOT NULL"),
    ("adding-field-with-default", "ALTER TABLE users ADD COLUMN IF NOT EXISTS token uuid DEFAULT gen_random_uuid();", "gen_random_uuid"),
    ("ban-drop-column", "ALTER TABLE users DROP COLUMN IF EXISTS age;", "DROP COLUMN"),
    ("ban-drop-table", "DROP TABLE IF EXISTS old_users;", "DROP TABLE"),
    ("ban-drop-database", "DROP DATABASE IF EXISTS legacy;", "DROP DATABASE"),
    ("changing-column-type", "ALTER TABLE users ALTER COLUMN name TYPE text;", "TYPE text"),
    ("constraint-missing-not-valid", "ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0);", "ADD CONSTRAINT"),
    ("disallowed-unique-constraint", "ALTER TABLE users ADD CONSTRAINT email_unique UNIQUE (email);", "CONSTRAINT email"),
    ("adding-foreign-key-constraint", "ALTER TABLE posts ADD CONSTRAINT posts_user FOREIGN KEY (user_id) REFERENCES users (id);", "CONSTRAINT posts"),
    ("require-concurrent-index-creation", "CREATE INDEX IF NOT EXISTS users_email ON users (email);", "CREATE INDEX"),
    ("require-concurrent-index-deletion", "DROP INDEX IF EXISTS users_email;", "DROP INDEX"),
    ("renaming-column", "ALTER TABLE users RENAME COLUMN name TO full_name;", "RENAME COLUMN"),
    ("renaming-table", "ALTER TABLE users RENAME TO people;", "RENAME TO"),
    ("prefer-bigint-over-int", "CREATE TABLE IF NOT EXISTS counters (id bigint PRIMARY KEY, hits integer);", "integer"),
    ("prefer-text-field", "CREATE TABLE IF NOT EXISTS notes (id bigint PRIMARY KEY, body varchar(200));", "varchar"),
    ("prefer-timestamp-tz", "CREATE TABLE IF NOT EXISTS events (id bigint PRIMARY KEY, at timestamp);", "timestamp"),
    ("prefer-identity", "CREATE TABLE IF NOT EXISTS tickets (id bigserial PRIMARY KEY);", "bigserial"),
    ("prefer-robust-stmts", "CREATE INDEX CONCURRENTLY users_email ON users (email);", "CREATE INDEX"),
    ("ban-concurrent-index-creation-in-transaction", "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);", "CONCURRENTLY"),
    ("transaction-nesting", "BEGIN;", "BEGIN"),
    ("syntax-error", "ALTER TABLE users ADD COLUMN;", ";"),
]


def lint_file(path: Path, settings: LintConfig = LintConfig()) -> list[Diagnostic]:
    return lint_targets([target_for_file(path)], settings, path.parent)


def only(diagnostics: list[Diagnostic], rule: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.rule == rule]


@pytest.mark.parametrize(("rule", "statement", "anchor"), CASES, ids=[case[0] for case in CASES])
def test_squawk_rule_is_reported_at_its_line_and_column(write_migration: MigrationWriter, rule: str, statement: str, anchor: str) -> None:
    path = write_migration(PREAMBLE + statement + "\n")
    found = only(lint_file(path), f"squawk:{rule}")
    assert found, f"squawk:{rule} not reported"
    first = found[0]
    assert (first.path, first.line, first.column) == (path, 3, statement.index(anchor) + 1)
    assert first.level == ("error" if rule == "syntax-error" else "warning")
    assert first.message


@pytest.mark.parametrize(("rule", "statement", "anchor"), CASES, ids=[case[0] for case in CASES])
def test_disabling_a_squawk_rule_silences_exactly_it(write_migration: MigrationWriter, rule: str, statement: str, anchor: str) -> None:
    path = write_migration(PREAMBLE + statement + "\n")
    before = lint_file(path)
    for name in (rule, f"squawk:{rule}"):
        after = lint_file(path, LintConfig(disable=(name,)))
        assert after == [d for d in before if d.rule != f"squawk:{rule}"]


@pytest.mark.parametrize(("rule", "statement", "anchor"), CASES[:12], ids=[case[0] for case in CASES[:12]])
def test_level_override_changes_exactly_that_rule(write_migration: MigrationWriter, rule: str, statement: str, anchor: str) -> None:
    path = write_migration(PREAMBLE + statement + "\n")
    before = lint_file(path)
    after = lint_file(path, LintConfig(levels={rule: "error"}))
    assert [(d.rule, d.line, d.column) for d in after] == [(d.rule, d.line, d.column) for d in before]
    for old, new in zip(before, after):
        assert new.level == ("error" if old.rule == f"squawk:{rule}" else old.level)
    off = lint_file(path, LintConfig(levels={f"squawk:{rule}": "off"}))
    assert off == [d for d in before if d.rule != f"squawk:{rule}"]


@pytest.mark.parametrize(("rule", "statement", "anchor"), CASES[:12], ids=[case[0] for case in CASES[:12]])
def test_inline_allow_silences_exactly_that_rule_in_that_file(write_migration: MigrationWriter, rule: str, statement: str, anchor: str) -> None:
    plain = write_migration(PREAMBLE + statement + "\n", "20261126093000_plain")
    # The allow comment is on the last line: it covers the whole file, not only what follows it.
    allowed = write_migration(PREAMBLE + statement + f"\n-- teamigrate: allow {rule}\n", "20261126093001_allowed")
    before = lint_file(plain)
    after = lint_file(allowed)
    assert [(d.rule, d.line, d.column, d.level) for d in after] == [(d.rule, d.line, d.column, d.level) for d in before if d.rule != f"squawk:{rule}"]
    both = lint_targets([target_for_file(plain), target_for_file(allowed)])
    assert only(both, f"squawk:{rule}") and all(d.path == plain for d in only(both, f"squawk:{rule}"))


def test_squawk_is_told_which_migrations_run_in_a_transaction(write_migration: MigrationWriter) -> None:
    statement = "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);\n"
    in_transaction = write_migration(PREAMBLE + statement, "20261126093000_tx")
    outside = write_migration("-- teamigrate: no-transaction\n" + PREAMBLE + statement, "20261126093001_no_tx")
    found = lint_targets([target_for_file(in_transaction), target_for_file(outside)])
    nested = only(found, "squawk:ban-concurrent-index-creation-in-transaction")
    assert [d.path for d in nested] == [in_transaction]


def test_missing_transaction_advice_only_where_teamigrate_runs_none(write_migration: MigrationWriter) -> None:
    statement = "ALTER TABLE users RENAME COLUMN name TO full_name;\n"
    in_transaction = write_migration(PREAMBLE + statement, "20261126093000_tx")
    outside = write_migration("-- teamigrate: no-transaction\n" + PREAMBLE + statement, "20261126093001_no_tx")
    found = lint_targets([target_for_file(in_transaction), target_for_file(outside)])
    robust = [(d.path, d.line) for d in only(found, "squawk:prefer-robust-stmts") if "Missing transaction" in d.message]
    assert robust == [(outside, 4)]


def test_one_squawk_run_lints_many_files_and_maps_every_finding_back(write_migration: MigrationWriter) -> None:
    paths = [write_migration(PREAMBLE + f"ALTER TABLE t{n} DROP COLUMN IF EXISTS c;\n", f"20261126{n:06d}_drop") for n in range(40)]
    found = only(lint_targets([target_for_file(p) for p in paths]), "squawk:ban-drop-column")
    assert sorted(d.path for d in found) == sorted(paths)
    assert {d.line for d in found} == {3}


def test_help_text_is_carried_over(write_migration: MigrationWriter) -> None:
    path = write_migration(PREAMBLE + "DROP INDEX IF EXISTS users_email;\n")
    (finding,) = only(lint_file(path), "squawk:require-concurrent-index-deletion")
    assert finding.help == "Drop the index `CONCURRENTLY`."


def test_missing_timeouts_are_squawks_default_advice(write_migration: MigrationWriter) -> None:
    path = write_migration("\nALTER TABLE users DROP COLUMN IF EXISTS age;\n")
    rules = {d.rule for d in lint_file(path) if d.line == 2}
    assert {"squawk:require-lock-timeout", "squawk:require-statement-timeout", "squawk:ban-drop-column"} <= rules

"""teamigrate's own rules: findings, lines, levels, and the settings that silence them."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from teamigrate.config import LintConfig
from teamigrate.lint import Diagnostic, lint_targets
from teamigrate.lint.rules import CONTEXT_RULES, RULE_NAMES, check_target
from teamigrate.lint.target import LintTarget, target_for_file
from tests.lint.conftest import MigrationWriter


def own(diagnostics: list[Diagnostic], rule: str | None = None) -> list[tuple[str, int, int, str]]:
    return [
        (d.rule, d.line, d.column, d.level)
        for d in diagnostics
        if d.rule.startswith("teamigrate:") and (rule is None or d.rule == f"teamigrate:{rule}")
    ]


def rules_of(sql: str, transactional: bool = True, migration_folder: Path | None = None, has_down: bool = True) -> list[Diagnostic]:
    return check_target(LintTarget(Path("m.sql"), sql, transactional, migration_folder, has_down))


# --- rename-table / rename-column -------------------------------------------


def test_rename_column_suggests_expand_and_contract() -> None:
    sql = "SET lock_timeout = '1s';\n\n  ALTER TABLE IF EXISTS ONLY public.\"Users\"\n    RENAME COLUMN email TO mail;\n"
    (finding,) = rules_of(sql)
    assert (finding.rule, finding.line, finding.column, finding.level) == ("teamigrate:rename-column", 3, 3, "warning")
    assert finding.message == 'renaming column public."Users".email to mail breaks code that still uses `email`'
    assert "expand and contract" in finding.help


def test_rename_table_is_its_own_rule() -> None:
    sql = "ALTER TABLE users ADD COLUMN note text;\nALTER TABLE users RENAME TO people;\nALTER TABLE people RENAME CONSTRAINT a TO b;\n"
    findings = rules_of(sql)
    assert [(d.rule, d.line, d.level) for d in findings] == [("teamigrate:rename-table", 2, "warning")]
    assert findings[0].message == "renaming table users to people breaks code that still uses `users`"


def test_rename_inside_a_comment_or_string_is_no_rename() -> None:
    sql = "-- ALTER TABLE users RENAME TO people;\nCOMMENT ON TABLE users IS 'ALTER TABLE users RENAME TO people';\n"
    assert rules_of(sql) == []


# --- missing-down --------------------------------------------------------------


def test_migration_without_down_sql_is_info(write_migration: MigrationWriter) -> None:
    path = write_migration("CREATE TABLE IF NOT EXISTS a (id bigint PRIMARY KEY);\n", down=None)
    assert own(lint_targets([target_for_file(path)])) == [("teamigrate:missing-down", 1, 1, "info")]
    (path.parent / "down.sql").write_text("DROP TABLE a;\n")
    assert own(lint_targets([target_for_file(path)])) == []


def test_a_loose_sql_file_needs_no_down(tmp_path: Path) -> None:
    path = tmp_path / "adhoc.sql"
    path.write_text("CREATE TABLE IF NOT EXISTS a (id bigint PRIMARY KEY);\n")
    assert own(lint_targets([target_for_file(path)])) == []


# --- data-with-schema-change ---------------------------------------------------

SCHEMA_CHANGE = "ALTER TABLE users ADD COLUMN full_name text;\n"


@pytest.mark.parametrize(
    "data_change",
    [
        "UPDATE users SET full_name = first || ' ' || last;",
        "UPDATE users SET full_name = (SELECT n FROM names WHERE names.id = users.id);",
        "DELETE FROM ONLY users;",
        "INSERT INTO archive (id) SELECT id FROM users;",
        "WITH moved AS (SELECT id FROM users WHERE old) UPDATE users SET full_name = '';",
    ],
)
def test_bulk_data_change_with_schema_change_is_flagged_at_the_data_statement(data_change: str) -> None:
    findings = rules_of(SCHEMA_CHANGE + "\n" + data_change + "\n")
    assert [(d.rule, d.line, d.level) for d in findings] == [("teamigrate:data-with-schema-change", 3, "warning")]
    assert "(line 1)" in findings[0].message


@pytest.mark.parametrize(
    "data_change",
    [
        "UPDATE users SET full_name = '' WHERE id < 1000;",
        "DELETE FROM users WHERE id = 1;",
        "INSERT INTO archive (id) VALUES (1), (2);",
        "INSERT INTO archive (id) SELECT id FROM users WHERE id < 10;",
        "INSERT INTO archive (id) SELECT id FROM users LIMIT 10;",
        "CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ UPDATE users SET full_name = '' $$;",
    ],
)
def test_limited_data_changes_are_fine(data_change: str) -> None:
    assert rules_of(SCHEMA_CHANGE + data_change + "\n") == []


def test_data_change_alone_or_outside_a_transaction_is_fine() -> None:
    update = "UPDATE users SET full_name = '';\n"
    assert rules_of(update) == []
    assert rules_of(SCHEMA_CHANGE + update, transactional=False) == []


# --- no-transaction-statement ----------------------------------------------------

NON_TRANSACTIONAL = [
    ("CREATE INDEX CONCURRENTLY lint_t_b ON lint_t (b)", "CREATE INDEX CONCURRENTLY"),
    ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS lint_t_b ON lint_t (b)", "CREATE INDEX CONCURRENTLY"),
    ("DROP INDEX CONCURRENTLY lint_t_a", "DROP INDEX CONCURRENTLY"),
    ("REINDEX (VERBOSE) INDEX CONCURRENTLY lint_t_a", "REINDEX CONCURRENTLY"),
    ("REINDEX TABLE CONCURRENTLY lint_t", "REINDEX CONCURRENTLY"),
    ("VACUUM lint_t", "VACUUM"),
    ("vacuum (analyze) lint_t", "VACUUM"),
    ("CREATE DATABASE lint_never_made", "CREATE DATABASE"),
    ("DROP DATABASE IF EXISTS lint_never_made", "DROP DATABASE"),
    ("CREATE TABLESPACE lint_space LOCATION '/nonexistent'", "CREATE TABLESPACE"),
    ("ALTER SYSTEM SET work_mem = '8MB'", "ALTER SYSTEM"),
    ("ALTER TABLE lint_p DETACH PARTITION lint_p1 CONCURRENTLY", "ALTER TABLE … DETACH PARTITION … CONCURRENTLY"),
]


@pytest.mark.parametrize(("statement", "what"), NON_TRANSACTIONAL, ids=[s for s, _ in NON_TRANSACTIONAL])
def test_statement_that_cannot_run_in_a_transaction_is_an_error(statement: str, what: str) -> None:
    findings = rules_of(f"SET lock_timeout = '1s';\n{statement};\n")
    assert [(d.rule, d.line, d.column, d.level) for d in findings] == [("teamigrate:no-transaction-statement", 2, 1, "error")]
    assert findings[0].message == f"{what} cannot run inside a transaction, and this migration runs in one"
    assert "-- teamigrate: no-transaction" in findings[0].help
    assert rules_of(f"{statement};\n", transactional=False) == []


def test_the_directive_on_the_first_line_makes_the_file_non_transactional(tmp_path: Path) -> None:
    path = tmp_path / "idx.sql"
    path.write_text("-- teamigrate: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\n")
    assert own(lint_targets([target_for_file(path)])) == []
    path.write_text("CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\n")
    assert own(lint_targets([target_for_file(path)])) == [("teamigrate:no-transaction-statement", 1, 1, "error")]


def test_postgresql_itself_refuses_every_flagged_statement_in_a_transaction(database: str) -> None:
    """The rule's list is checked against the server: each statement fails inside BEGIN … COMMIT."""
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("CREATE TABLE lint_t (a int, b int); CREATE INDEX lint_t_a ON lint_t (a)")
        conn.execute("CREATE TABLE lint_p (k int) PARTITION BY RANGE (k)")
        conn.execute("CREATE TABLE lint_p1 PARTITION OF lint_p FOR VALUES FROM (0) TO (10)")
        for statement, _ in NON_TRANSACTIONAL:
            with pytest.raises(psycopg.errors.ActiveSqlTransaction):
                with conn.transaction():
                    conn.execute(statement)  # type: ignore[arg-type]


def test_plain_index_statements_are_fine_in_a_transaction() -> None:
    sql = "CREATE INDEX i ON t (a);\nDROP INDEX i;\nREINDEX INDEX i;\nCREATE TABLE concurrently_named (a int);\n"
    assert rules_of(sql) == []


# --- settings: disable, levels, inline allow -----------------------------------

EVERY_RULE = (
    "ALTER TABLE users ADD COLUMN full_name text;\n"  # 1
    "UPDATE users SET full_name = '';\n"  # 2 data-with-schema-change
    "ALTER TABLE users RENAME COLUMN a TO b;\n"  # 3 rename-column
    "ALTER TABLE users RENAME TO people;\n"  # 4 rename-table
    "CREATE INDEX CONCURRENTLY i ON people (b);\n"  # 5 no-transaction-statement
)
EXPECTED = {
    "missing-down": (1, "info"),
    "data-with-schema-change": (2, "warning"),
    "rename-column": (3, "warning"),
    "rename-table": (4, "warning"),
    "no-transaction-statement": (5, "error"),
}


def test_every_own_rule_is_exercised() -> None:
    # drop-used-on-branch needs other branches: tests/lint/test_branches.py.
    assert set(EXPECTED) | set(CONTEXT_RULES) == RULE_NAMES


@pytest.fixture
def every_rule_file(write_migration: MigrationWriter) -> Path:
    return write_migration(EVERY_RULE, down=None)


def test_each_own_rule_fires_once_at_its_line(every_rule_file: Path) -> None:
    found = own(lint_targets([target_for_file(every_rule_file)]))
    assert sorted((rule.removeprefix("teamigrate:"), line, level) for rule, line, _, level in found) == sorted(
        (rule, line, level) for rule, (line, level) in EXPECTED.items()
    )


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_disabling_an_own_rule_silences_exactly_it(every_rule_file: Path, rule: str) -> None:
    before = lint_targets([target_for_file(every_rule_file)])
    for name in (rule, f"teamigrate:{rule}"):
        after = lint_targets([target_for_file(every_rule_file)], LintConfig(disable=(name,)))
        assert after == [d for d in before if d.rule != f"teamigrate:{rule}"]


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_level_override_of_an_own_rule(every_rule_file: Path, rule: str) -> None:
    before = lint_targets([target_for_file(every_rule_file)])
    new_level = "info" if EXPECTED[rule][1] != "info" else "error"
    after = lint_targets([target_for_file(every_rule_file)], LintConfig(levels={rule: new_level}))
    assert [(d.rule, d.line) for d in after] == [(d.rule, d.line) for d in before]
    changed = [(d.rule, d.level) for d, old in zip(after, before) if d.level != old.level]
    assert changed == [(f"teamigrate:{rule}", new_level)]
    off = lint_targets([target_for_file(every_rule_file)], LintConfig(levels={rule: "off"}))
    assert off == [d for d in before if d.rule != f"teamigrate:{rule}"]


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_inline_allow_of_an_own_rule(write_migration: MigrationWriter, every_rule_file: Path, rule: str) -> None:
    before = lint_targets([target_for_file(every_rule_file)])
    allowed = write_migration(f"-- teamigrate: allow {rule}\n" + EVERY_RULE, "20261126093001_allowed", down=None)
    after = lint_targets([target_for_file(allowed)])
    # One line was added at the top: every statement's finding moved down by one.
    expected = sorted(
        (d.rule, d.line if d.rule == "teamigrate:missing-down" else d.line + 1, d.level)
        for d in before
        if d.rule != f"teamigrate:{rule}"
    )
    assert sorted((d.rule, d.line, d.level) for d in after) == expected


def test_inline_allow_takes_several_rules_and_both_prefixes(write_migration: MigrationWriter) -> None:
    sql = "-- teamigrate: allow rename-column, squawk:renaming-column teamigrate:missing-down\n" "ALTER TABLE users RENAME COLUMN a TO b;\n"
    path = write_migration(sql, down=None)
    rules = {d.rule for d in lint_targets([target_for_file(path)])}
    assert not rules & {"teamigrate:rename-column", "squawk:renaming-column", "teamigrate:missing-down"}
    assert "squawk:require-lock-timeout" in rules  # what was not allowed still comes through

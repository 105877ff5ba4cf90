"""drop-used-on-branch: a DROP here of what a migration on another open branch uses, read from real git branches."""

from __future__ import annotations

import json

import pytest

from teamigrate.config import load_config
from teamigrate.lint import lint_migrations
from teamigrate.lint.branches import dropped_objects, open_branch_migrations
from teamigrate.lint.statements import parse_statements
from teamigrate.lint.target import target_for_file
from tests.conftest import Project

USERS = "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text, nickname text);\n"
USES_EMAIL = "SET lock_timeout = '1s';\nUPDATE users SET email = lower(email) WHERE id < 100;\n"
DROPS_EMAIL = "SET lock_timeout = '1s';\nSET statement_timeout = '5s';\nALTER TABLE users DROP COLUMN IF EXISTS email;\n"


def commit_migration(project: Project, migration_id: str, sql: str) -> str:
    path = f"migrations/{migration_id}/migration.sql"
    project.write(path, sql)
    project.write(f"migrations/{migration_id}/down.sql", "SELECT 1;\n")
    project.git("add", f"migrations/{migration_id}")
    project.git("commit", "-q", "-m", migration_id)
    return path


@pytest.fixture
def two_branches(lint_project: Project) -> Project:
    """main has users; feature-a uses users.email; feature-b (checked out) is where we lint."""
    lint_project.git("add", "teamigrate.yaml")
    commit_migration(lint_project, "20261126093000_users", USERS)
    lint_project.git("checkout", "-q", "-b", "feature-a")
    commit_migration(lint_project, "20261127080000_normalise_email", USES_EMAIL)
    lint_project.git("checkout", "-q", "main")
    lint_project.git("checkout", "-q", "-b", "feature-b")
    return lint_project


def test_dropping_a_column_another_branch_uses_is_reported(two_branches: Project) -> None:
    two_branches.write("migrations/20261127090000_drop_email/migration.sql", DROPS_EMAIL)
    two_branches.write("migrations/20261127090000_drop_email/down.sql", "SELECT 1;\n")
    result = two_branches.run("lint", "--json")
    found = [f for f in json.loads(result.stdout) if f["rule"] == "teamigrate:drop-used-on-branch"]
    assert [(f["path"], f["line"], f["level"]) for f in found] == [("migrations/20261127090000_drop_email/migration.sql", 3, "warning")]
    assert found[0]["message"] == (
        "drops column users.email, which migration 20261127080000_normalise_email on branch feature-a uses (its line 2)"
    )


def test_dropping_what_no_branch_uses_is_fine(two_branches: Project) -> None:
    two_branches.write("migrations/20261127090000_drop_nickname/migration.sql", "ALTER TABLE users DROP COLUMN nickname;\n")
    config = load_config(explicit=two_branches.root / "teamigrate.yaml")
    found = lint_migrations(config, [two_branches.root / "migrations/20261127090000_drop_nickname"])
    assert "teamigrate:drop-used-on-branch" not in {d.rule for d in found}


def test_dropping_a_table_another_branch_uses(two_branches: Project) -> None:
    two_branches.write("migrations/20261127090000_drop_users/migration.sql", "SELECT 1;\nDROP TABLE IF EXISTS public.users CASCADE;\n")
    config = load_config(explicit=two_branches.root / "teamigrate.yaml")
    found = [d for d in lint_migrations(config, [two_branches.root / "migrations/20261127090000_drop_users"]) if d.rule == "teamigrate:drop-used-on-branch"]
    assert [(d.line, d.message) for d in found] == [
        (2, "drops table public.users, which migration 20261127080000_normalise_email on branch feature-a uses (its line 2)")
    ]


def test_a_branch_already_merged_here_is_not_another_branch(two_branches: Project) -> None:
    two_branches.git("merge", "-q", "--no-edit", "feature-a")
    two_branches.write("migrations/20261127090000_drop_email/migration.sql", DROPS_EMAIL)
    config = load_config(explicit=two_branches.root / "teamigrate.yaml")
    targets = [target_for_file(two_branches.root / "migrations/20261127090000_drop_email/migration.sql")]
    assert open_branch_migrations(config, targets) == []


def test_disable_and_inline_allow_silence_it(two_branches: Project) -> None:
    two_branches.write("migrations/20261127090000_drop_email/migration.sql", DROPS_EMAIL)
    two_branches.write("migrations/20261127090000_drop_email/down.sql", "SELECT 1;\n")
    before = {f["rule"] for f in json.loads(two_branches.run("lint", "--json").stdout)}
    assert "teamigrate:drop-used-on-branch" in before
    (two_branches.root / "teamigrate.yaml").write_text("migrations: migrations\nlint:\n  disable: [drop-used-on-branch]\n")
    disabled = {f["rule"] for f in json.loads(two_branches.run("lint", "--json").stdout)}
    assert disabled == before - {"teamigrate:drop-used-on-branch"}
    (two_branches.root / "teamigrate.yaml").write_text("migrations: migrations\n")
    two_branches.write("migrations/20261127090000_drop_email/migration.sql", DROPS_EMAIL + "-- teamigrate: allow drop-used-on-branch\n")
    allowed = {f["rule"] for f in json.loads(two_branches.run("lint", "--json").stdout)}
    assert allowed == before - {"teamigrate:drop-used-on-branch"}


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("DROP TABLE a, public.b;", [("table", "a", None), ("table", "b", None)]),
        ('ALTER TABLE ONLY "Users" DROP COLUMN "Email", DROP CONSTRAINT c, ALTER COLUMN x DROP DEFAULT;', [("column", "users", "email")]),
        ("ALTER TABLE IF EXISTS s.t DROP IF EXISTS c CASCADE, DROP d;", [("column", "t", "c"), ("column", "t", "d")]),
        ("ALTER TABLE t ALTER COLUMN c DROP NOT NULL;", []),
        ("DROP INDEX i;", []),
    ],
)
def test_what_counts_as_a_drop(sql: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert [(d.kind, d.table, d.column) for d in dropped_objects(parse_statements(sql))] == expected

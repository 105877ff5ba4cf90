"""`teamigrate lint` end to end (a separate process), and which migrations it picks on a branch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from teamigrate.config import load_config
from teamigrate.errors import TeamigrateError
from teamigrate.history.migrations import Migration
from teamigrate.lint import lint_migrations
from teamigrate.lint.selection import select_targets
from tests.conftest import Project, run_cli

CLEAN = "SET lock_timeout = '1s';\nCREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, name text);\n"
NOT_NULL = "SET lock_timeout = '1s';\nSET statement_timeout = '5s';\nALTER TABLE users ALTER COLUMN name SET NOT NULL;\n"
CONCURRENT = "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_name ON users (name);\n"


def add(project: Project, migration_id: str, sql: str, down: str | None = "SELECT 1;\n") -> str:
    project.write(f"migrations/{migration_id}/migration.sql", sql)
    if down is not None:
        project.write(f"migrations/{migration_id}/down.sql", down)
    return f"migrations/{migration_id}/migration.sql"


def test_compiler_style_output_and_exit_code_0_for_warnings(lint_project: Project) -> None:
    path = add(lint_project, "20261126093000_not_null", NOT_NULL)
    result = lint_project.run("lint", "--all")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{path}:3:37: warning[squawk:adding-not-nullable-field] Setting a column `NOT NULL` blocks reads while the table is scanned.",
        "  help: Make the field nullable and use a `CHECK` constraint instead.",
    ]
    assert result.stderr.strip() == "linted 1 file: 1 finding: 1 warning"


def test_error_level_finding_exits_1_with_a_tm605_line(lint_project: Project) -> None:
    path = add(lint_project, "20261126093000_index", CONCURRENT)
    result = lint_project.run("lint", "--all")
    assert result.returncode == 1
    assert f"{path}:2:1: error[teamigrate:no-transaction-statement] CREATE INDEX CONCURRENTLY cannot run inside a transaction" in result.stdout
    assert "  help: put it in a migration of its own whose first line is `-- teamigrate: no-transaction`" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error[")]
    assert errors == ["error[TM605]: lint found 1 error-level finding"]
    assert "Traceback" not in result.stderr
    # The reviewed exception, or the directive, make it pass.
    lint_project.write(path, "-- teamigrate: no-transaction\n" + CONCURRENT)
    assert lint_project.run("lint", "--all").returncode == 0


def test_json_output_is_a_list_of_objects(lint_project: Project) -> None:
    path = add(lint_project, "20261126093000_index", CONCURRENT, down=None)
    result = lint_project.run("lint", "--all", "--json")
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert {(f["rule"], f["level"], f["line"]) for f in findings} >= {
        ("teamigrate:no-transaction-statement", "error", 2),
        ("teamigrate:missing-down", "info", 1),
        ("squawk:ban-concurrent-index-creation-in-transaction", "warning", 2),
    }
    assert all(set(f) == {"path", "line", "column", "rule", "level", "message", "help"} and f["path"] == path for f in findings)


def test_config_settings_apply_on_the_command_line(lint_project: Project) -> None:
    add(lint_project, "20261126093000_index", CONCURRENT, down=None)
    (lint_project.root / "teamigrate.yaml").write_text(
        "migrations: migrations\nlint:\n  disable: [missing-down, squawk:ban-concurrent-index-creation-in-transaction, constraint-missing-not-valid]\n"
        "  levels: {no-transaction-statement: warning, require-statement-timeout: error}\n"
    )
    # A long CREATE INDEX CONCURRENTLY blocks no reads or writes: no statement timeout is asked of it.
    result = lint_project.run("lint", "--all", "--json")
    assert {(f["rule"], f["level"]) for f in json.loads(result.stdout)} == {("teamigrate:no-transaction-statement", "warning")}
    assert result.returncode == 0
    # A check added with its scan holds ACCESS EXCLUSIVE while it reads every row: that one is.
    add(lint_project, "20261126094000_check", "SET lock_timeout = '1s';\nALTER TABLE users ADD CONSTRAINT users_name CHECK (name <> '');\n", down=None)
    result = lint_project.run("lint", "--all", "--json")
    found = {(f["rule"], f["level"]) for f in json.loads(result.stdout)}
    assert found == {("teamigrate:no-transaction-statement", "warning"), ("squawk:require-statement-timeout", "error")}
    assert result.returncode == 1  # the raised level counts


def test_unknown_rule_in_settings_is_tm606(lint_project: Project) -> None:
    add(lint_project, "20261126093000_users", CLEAN)
    for setting in ("disable: [ban-drop-colum]", "levels: {teamigrate:rename-colum: error}"):
        (lint_project.root / "teamigrate.yaml").write_text(f"migrations: migrations\nlint:\n  {setting}\n")
        result = lint_project.run("lint", "--all")
        assert result.returncode == 1
        assert result.stderr.startswith("error[TM606]: ")
        assert "colum" in result.stderr and "Traceback" not in result.stderr


def test_explicit_paths_files_and_folders(lint_project: Project) -> None:
    add(lint_project, "20261126093000_users", CLEAN)  # clean: it must show up in no finding
    second = add(lint_project, "20261126093100_not_null", NOT_NULL)
    loose = lint_project.write("scratch/adhoc.sql", "DROP TABLE IF EXISTS t;\n")
    for args, expected in (
        ([second], {second}),
        (["migrations/20261126093100_not_null"], {second}),
        (["migrations", str(loose)], {second, "scratch/adhoc.sql"}),
    ):
        result = lint_project.run("lint", "--json", *args)
        assert {f["path"] for f in json.loads(result.stdout)} == expected, args
    missing = lint_project.run("lint", "migrations/nope.sql")
    assert missing.returncode == 1 and missing.stderr.startswith("error[TM604]: migrations/nope.sql does not exist")


def test_explicit_files_lint_outside_a_project(tmp_path: Path) -> None:
    loose = tmp_path / "loose.sql"
    loose.write_text("ALTER TABLE users RENAME TO people;\n")
    result = run_cli(["lint", "--json", str(loose)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "teamigrate:rename-table" in {f["rule"] for f in json.loads(result.stdout)}


# --- default selection: new on this branch -------------------------------------


def test_default_is_the_migrations_new_on_this_branch(lint_project: Project) -> None:
    add(lint_project, "20261126093000_users", CLEAN)
    add(lint_project, "20261126093100_merged", NOT_NULL)
    lint_project.git("add", ".")
    lint_project.git("commit", "-q", "-m", "main's migrations")
    lint_project.git("checkout", "-q", "-b", "feature")
    committed = add(lint_project, "20261127080000_feature", NOT_NULL)
    lint_project.git("add", ".")
    lint_project.git("commit", "-q", "-m", "feature migration")
    untracked = add(lint_project, "20261127090000_wip", NOT_NULL)
    # main moves on after the branch point: its new migration is not this branch's.
    lint_project.git("checkout", "-q", "main")
    add(lint_project, "20261127100000_on_main", NOT_NULL)
    lint_project.git("add", "migrations/20261127100000_on_main")
    lint_project.git("commit", "-q", "-m", "more on main")
    lint_project.git("checkout", "-q", "feature")

    config = load_config(explicit=lint_project.root / "teamigrate.yaml")
    selected = select_targets(config)
    assert sorted(t.path.relative_to(lint_project.root).as_posix() for t in selected.targets) == sorted([committed, untracked])

    result = lint_project.run("lint", "--json")
    assert {f["path"] for f in json.loads(result.stdout)} == {committed, untracked}
    everything = lint_project.run("lint", "--all", "--json")
    assert {f["path"] for f in json.loads(everything.stdout)} == {committed, untracked, "migrations/20261126093100_merged/migration.sql"}
    # A CI checkout of a pull request has only origin/main: the same selection.
    lint_project.git("update-ref", "refs/remotes/origin/main", "main")
    lint_project.git("branch", "-q", "-D", "main")
    selected = select_targets(config)
    assert sorted(t.path.relative_to(lint_project.root).as_posix() for t in selected.targets) == sorted([committed, untracked])


def test_on_main_with_nothing_new_lints_nothing_and_says_so(lint_project: Project) -> None:
    add(lint_project, "20261126093000_not_null", NOT_NULL)
    lint_project.git("add", ".")
    lint_project.git("commit", "-q", "-m", "init")
    result = lint_project.run("lint")
    assert result.returncode == 0
    assert result.stdout == ""
    assert "nothing to lint" in result.stderr and "--all" in result.stderr


def test_without_git_or_main_branch_every_migration_is_linted(lint_project: Project, tmp_path: Path) -> None:
    add(lint_project, "20261126093000_not_null", NOT_NULL)
    # No commit yet: nothing to compare with.
    assert len(select_targets(load_config(explicit=lint_project.root / "teamigrate.yaml")).targets) == 1
    (lint_project.root / "teamigrate.yaml").write_text("migrations: migrations\nmain_branch: trunk\n")
    lint_project.git("add", ".")
    lint_project.git("commit", "-q", "-m", "init")
    assert len(select_targets(load_config(explicit=lint_project.root / "teamigrate.yaml")).targets) == 1


# --- the API for check / new / dev ------------------------------------------------


def test_lint_migrations_takes_models_and_paths(lint_project: Project) -> None:
    on_disk = add(lint_project, "20261126093000_not_null", NOT_NULL)
    config = load_config(explicit=lint_project.root / "teamigrate.yaml")
    # A model whose text is not (yet) on disk is linted as it is in memory.
    model = Migration("20261126093100_rename", "ALTER TABLE users RENAME TO people;\n", None)
    found = lint_migrations(config, [model, lint_project.root / on_disk])
    by_rule = {(d.rule, d.path.relative_to(lint_project.root).as_posix(), d.line) for d in found}
    assert ("squawk:renaming-table", "migrations/20261126093100_rename/migration.sql", 1) in by_rule
    assert ("teamigrate:rename-table", "migrations/20261126093100_rename/migration.sql", 1) in by_rule
    assert ("teamigrate:missing-down", "migrations/20261126093100_rename/migration.sql", 1) in by_rule
    assert ("squawk:adding-not-nullable-field", on_disk, 3) in by_rule


def test_lint_migrations_raises_tm604_for_a_bad_path(lint_project: Project) -> None:
    config = load_config(explicit=lint_project.root / "teamigrate.yaml")
    with pytest.raises(TeamigrateError) as caught:
        lint_migrations(config, [lint_project.root / "nope"])
    assert caught.value.code == "TM604"


def test_the_projects_squawk_toml_applies_from_any_folder(lint_project: Project) -> None:
    add(lint_project, "20261126093000_drop", "DROP TABLE IF EXISTS old_users;\n")
    subfolder = lint_project.root / "migrations"
    before = {f["rule"] for f in json.loads(run_cli(["lint", "--all", "--json"], cwd=subfolder).stdout)}
    assert "squawk:ban-drop-table" in before
    lint_project.write(".squawk.toml", 'excluded_rules = ["ban-drop-table"]\n')
    after = {f["rule"] for f in json.loads(run_cli(["lint", "--all", "--json"], cwd=subfolder).stdout)}
    assert after == before - {"squawk:ban-drop-table"}


def test_lint_in_a_project_made_by_init(project: Project) -> None:
    path = add(project, "20261126093000_not_null", NOT_NULL)
    result = project.run("lint", "--all")
    assert result.returncode == 0, result.stderr
    assert f"{path}:3:37: warning[squawk:adding-not-nullable-field]" in result.stdout
    add(project, "20261126093100_vacuum", "VACUUM users;\n")
    failed = project.run("lint", "--all")
    assert failed.returncode == 1
    assert "migrations/20261126093100_vacuum/migration.sql:1:1: error[teamigrate:no-transaction-statement] VACUUM" in failed.stdout
    assert failed.stderr.splitlines()[-2:] == [
        "error[TM605]: lint found 1 error-level finding",
        "hint: fix them, or after review allow one with `-- teamigrate: allow <rule>` in the migration",
    ]

"""deploy sends migrations to the server several at a time; the result must be what applying each alone gives."""

from __future__ import annotations

from tests.commands.test_deploy import HISTORY, add_migration, history, one_error
from tests.conftest import Project


def _rows(project: Project) -> dict[str, tuple[str, int | None, str | None]]:
    return {r[0]: (r[1], r[2], r[3]) for r in project.sql(f"SELECT id, state, error_line, error FROM {HISTORY} ORDER BY id")}


def test_a_failure_in_the_middle_keeps_what_came_before_and_names_its_line(project: Project) -> None:
    add_migration(project, "20261126093000_a", "CREATE TABLE a (id int);\n")
    add_migration(project, "20261126093100_b", "CREATE TABLE b (id int);\n\nINSERT INTO missing VALUES (1);\n")
    add_migration(project, "20261126093200_c", "CREATE TABLE c (id int);\n")
    project.ok("hash")
    error = one_error(project.run("deploy"), "TM211")
    assert "20261126093100_b/migration.sql line 3" in error and "missing" in error
    rows = _rows(project)
    assert rows["20261126093000_a"][0] == "applied" and rows["20261126093100_b"][:2] == ("failed", 3) and "20261126093200_c" not in rows
    assert project.sql("SELECT to_regclass('a') IS NOT NULL, to_regclass('b') IS NULL, to_regclass('c') IS NULL") == [(True, True, True)]


def test_an_error_without_a_position_is_named_by_its_statement(project: Project) -> None:
    add_migration(project, "20261126093000_a", "CREATE TABLE a (id int);\n")
    add_migration(project, "20261126093100_again", "SELECT 1;\n\n\nCREATE TABLE a (id int);\n")
    project.ok("hash")
    error = one_error(project.run("deploy"), "TM211")
    assert "20261126093100_again/migration.sql line 4" in error and "already exists" in error
    assert history(project) == [("20261126093000_a", "applied"), ("20261126093100_again", "failed")]


def test_a_syntax_error_later_in_a_batch_does_not_stop_the_ones_before(project: Project) -> None:
    # PostgreSQL parses a whole query before it runs any of it: the syntax error must not cost a, b their turn.
    add_migration(project, "20261126093000_a", "CREATE TABLE a (id int);\n")
    add_migration(project, "20261126093100_b", "CREATE TABLE b (id int);\n")
    add_migration(project, "20261126093200_c", "CREATE TABLE c (id int);\nCREAT TABLE d (id int);\n")
    project.ok("hash")
    error = one_error(project.run("deploy"), "TM211")
    assert "20261126093200_c/migration.sql line 2" in error
    assert history(project) == [("20261126093000_a", "applied"), ("20261126093100_b", "applied"), ("20261126093200_c", "failed")]


def test_files_without_a_final_semicolon_or_ending_in_a_comment(project: Project) -> None:
    add_migration(project, "20261126093000_a", "CREATE TABLE a (id int)")
    add_migration(project, "20261126093100_b", "CREATE TABLE b (id int);\n-- the end, no newline")
    add_migration(project, "20261126093200_c", "CREATE TABLE c (id int);\n/* a block comment */")
    project.ok("hash")
    result = project.ok("deploy")
    assert [line.split(" (")[0] for line in result.stdout.splitlines() if line.startswith("applied")] == [
        "applied 20261126093000_a", "applied 20261126093100_b", "applied 20261126093200_c"]
    assert [state for _, state in history(project)] == ["applied"] * 3
    assert project.sql(f"SELECT bool_and(duration_ms IS NOT NULL AND finished_at >= started_at) FROM {HISTORY}") == [(True,)]


def test_a_migrations_settings_do_not_reach_the_next_one_or_its_history_row(project: Project) -> None:
    add_migration(project, "20261126093000_schema", "CREATE SCHEMA elsewhere;\nSET search_path = elsewhere;\nCREATE TABLE inside (id int);\n")
    add_migration(project, "20261126093100_next", "CREATE TABLE outside (id int);\n")
    project.ok("hash")
    project.ok("deploy")
    assert project.sql("SELECT to_regclass('elsewhere.inside') IS NOT NULL, to_regclass('public.outside') IS NOT NULL") == [(True, True)]
    assert project.sql("SELECT to_regclass('elsewhere.teamigrate_history')") == [(None,)]
    assert [state for _, state in history(project)] == ["applied", "applied"]


def test_text_that_looks_like_quoting_is_recorded_as_it_is(project: Project) -> None:
    down = "DO $tm$ BEGIN RAISE NOTICE 'x'; END $tm$;\nDROP TABLE a; -- it's $tm\n"
    add_migration(project, "20261126093000_a", "CREATE TABLE a (id int);\n", down)
    add_migration(project, "20261126093100_b", "CREATE TABLE b (note text DEFAULT 'it''s $$ and \\\\ here');\n", "DROP TABLE b;\n")
    project.ok("hash")
    project.ok("deploy")
    assert project.sql(f"SELECT down_sql FROM {HISTORY} WHERE id = '20261126093000_a'") == [(down,)]
    project.ok("rollback", "--steps", "1")
    project.ok("rollback", "--steps", "1")
    assert project.sql("SELECT to_regclass('a')") == [(None,)]

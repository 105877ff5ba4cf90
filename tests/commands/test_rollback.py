"""`teamigrate rollback`: newest first, the down SQL recorded at apply time, refusals before anything is undone."""

from __future__ import annotations

import shutil

from tests.conftest import Project
from tests.commands.conftest import assert_refused, migration_folders, schema_dump


def three_migrations(project: Project) -> list[str]:
    for number, (sql, down) in enumerate([
        ("CREATE TABLE a (id int PRIMARY KEY);", "DROP TABLE a;"),
        ("CREATE TABLE b (id int PRIMARY KEY);", "DROP TABLE b;"),
        ("CREATE TABLE c (id int PRIMARY KEY);", "DROP TABLE c;"),
    ], start=1):
        project.write(f"migrations/2026010100000{number}_t{number}/migration.sql", sql + "\n")
        project.write(f"migrations/2026010100000{number}_t{number}/down.sql", down + "\n")
    project.ok("hash")
    project.ok("deploy")
    return migration_folders(project.root)


def tables(project: Project) -> list[str]:
    return [name for (name,) in project.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'teamigrate_history' ORDER BY 1")]


def test_steps_undoes_the_newest_first(project: Project) -> None:
    ids = three_migrations(project)
    result = project.ok("rollback", "--steps", "2")
    assert result.stdout.index(ids[2]) < result.stdout.index(ids[1])
    assert tables(project) == ["a"]
    states = project.ok("status", "--json").stdout
    assert states.count('"state": "pending"') == 2
    project.ok("deploy")
    assert tables(project) == ["a", "b", "c"]


def test_to_keeps_that_migration_applied(project: Project) -> None:
    ids = three_migrations(project)
    project.ok("rollback", "--to", ids[0])
    assert tables(project) == ["a"]
    assert "nothing to roll back" in project.ok("rollback", "--to", ids[0]).stdout


def test_the_down_sql_recorded_at_apply_time_wins_over_the_file(project: Project) -> None:
    ids = three_migrations(project)
    # Edited after it was applied: the recorded down is the one that matches the database.
    (project.root / "migrations" / ids[2] / "down.sql").write_text("DROP TABLE a;\n")
    result = project.ok("rollback", "--steps", "1")
    assert "recorded when it was applied" in result.stdout
    assert tables(project) == ["a", "b"]


def test_the_file_is_the_fallback(project: Project) -> None:
    project.write("migrations/20260101000001_t1/migration.sql", "CREATE TABLE a (id int);\n")
    project.ok("hash")
    project.ok("deploy")
    project.write("migrations/20260101000001_t1/down.sql", "DROP TABLE a;\n")
    result = project.ok("rollback", "--steps", "1")
    assert "20260101000001_t1/down.sql" in result.stdout
    assert tables(project) == []


def test_no_down_anywhere_is_refused_before_anything_is_undone(project: Project) -> None:
    ids = three_migrations(project)
    project.write("migrations/20260101000004_t4/migration.sql", "CREATE TABLE d (id int);\n")
    project.write("migrations/20260101000004_t4/down.sql", "DROP TABLE d;\n")
    project.ok("hash")
    project.ok("deploy")
    before = schema_dump(project.database_url)
    # The one without a down is the second to undo: the first must not have been undone either.
    shutil.move(str(project.root / "migrations" / ids[2] / "down.sql"), str(project.root / "down.keep"))
    project.sql("UPDATE teamigrate_history SET down_sql = NULL WHERE id = '" + ids[2] + "'")
    result = project.run("rollback", "--steps", "2")
    assert_refused(result, "TM222")
    assert ids[2] in result.stderr
    assert schema_dump(project.database_url) == before
    assert tables(project) == ["a", "b", "c", "d"]


def test_bad_arguments_are_refused(project: Project) -> None:
    ids = three_migrations(project)
    before = schema_dump(project.database_url)
    assert_refused(project.run("rollback"), "TM412")
    assert_refused(project.run("rollback", "--steps", "0"), "TM412")
    assert_refused(project.run("rollback", "--steps", "1", "--to", ids[0]), "TM412")
    assert_refused(project.run("rollback", "--steps", "4"), "TM413")
    assert_refused(project.run("rollback", "--to", "20990101000000_nope"), "TM413")
    assert schema_dump(project.database_url) == before

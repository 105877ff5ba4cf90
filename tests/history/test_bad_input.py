"""Every way the user's input can be wrong: exit 1, one error line with its code, a hint, nothing changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Project

PENDING = "migrations/20261126093100_pending"


def replace_in(project: Project, relative: str, old: str, new: str) -> None:
    path = project.root / relative
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def set_database_url(project: Project, url: str) -> None:
    replace_in(project, "teamigrate.yaml", f"database_url: {project.database_url}", f"database_url: {url}")


def conflicted_sum(project: Project) -> None:
    path = project.root / "migrations/teamigrate.sum"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(["<<<<<<< HEAD", *lines, "=======", lines[0], lines[1], ">>>>>>> main"]) + "\n")


def unset_variable(project: Project) -> None:
    set_database_url(project, "${TEAMIGRATE_TEST_SURELY_UNSET}")


def missing_database(project: Project) -> None:
    set_database_url(project, project.database_url.replace("/tmtest_", "/tmtest_absent_"))


def outside(project: Project) -> Path:
    """A folder next to the project (never inside it), for symlinks to lead to."""
    folder = project.root.parent / "outside"
    folder.mkdir(exist_ok=True)
    return folder


def link_out(project: Project, relative: str, data: bytes = b"CREATE TABLE leaked (secret text);\n") -> None:
    """Replace `relative` in the project by a symlink to a file outside it holding `data`."""
    target = outside(project) / Path(relative).name
    target.write_bytes(data)
    path = project.root / relative
    path.unlink(missing_ok=True)
    path.symlink_to(target)


def link_migration_folder_out(project: Project) -> None:
    folder = project.root / PENDING
    shutil.move(folder, outside(project) / folder.name)
    folder.symlink_to(outside(project) / folder.name)


def link_migrations_folder_out(project: Project) -> None:
    folder = project.root / "migrations"
    shutil.move(folder, outside(project) / "migrations")
    folder.symlink_to(outside(project) / "migrations")


def set_history_table(project: Project, name: str) -> None:
    replace_in(project, "teamigrate.yaml", "history_table: public.teamigrate_history", f"history_table: {name}")


CASES: dict[str, tuple[Callable[[Project], None], str, str]] = {
    # name: (how to break the project, expected code, a text the error or hint must hold)
    "malformed yaml": (lambda p: p.write("teamigrate.yaml", p.root.joinpath("teamigrate.yaml").read_text() + "lint: [unclosed\n"), "TM102", "line"),
    "unknown key": (lambda p: replace_in(p, "teamigrate.yaml", "main_branch:", "main_brnch:"), "TM103", "main_branch"),
    "unset variable": (unset_variable, "TM104", "TEAMIGRATE_TEST_SURELY_UNSET"),
    "unreachable database": (lambda p: set_database_url(p, "postgresql://u:secret@127.0.0.1:1/x"), "TM111", "127.0.0.1"),
    "database does not exist": (missing_database, "TM112", "tmtest_absent_"),
    "no migrations folder": (lambda p: shutil.rmtree(p.root / "migrations"), "TM200", "migrations"),
    "sum with conflict markers": (conflicted_sum, "TM209", "teamigrate rebase"),
    "sum missing": (lambda p: (p.root / "migrations/teamigrate.sum").unlink(), "TM206", "teamigrate hash"),
    "badly named folder": (lambda p: p.write("migrations/20261126_Bad-Name/migration.sql", "SELECT 1;\n"), "TM201", "20261126_Bad-Name"),
    "empty migration": (lambda p: p.write("migrations/20261126093200_empty/migration.sql", "\n  \n"), "TM203", "20261126093200_empty/migration.sql"),
    "non-utf8 migration": (lambda p: (p.root / "migrations/20261126093100_pending/migration.sql").write_bytes(b"SELECT '\xe9';\n"), "TM204", "20261126093100_pending/migration.sql"),
    # PostgreSQL would fail on these in deploy, after `hash` and `check` passed.
    "migration with a BOM": (lambda p: (p.root / PENDING / "migration.sql").write_bytes(b"\xef\xbb\xbfCREATE TABLE pending (id int);\n"), "TM204", "remove the BOM"),
    "down.sql with a BOM": (lambda p: (p.root / PENDING / "down.sql").write_bytes(b"\xef\xbb\xbfDROP TABLE pending;\n"), "TM204", "20261126093100_pending/down.sql"),
    "migration with a NUL byte": (lambda p: (p.root / PENDING / "migration.sql").write_bytes(b"CREATE TABLE pending (id int);\n\0\n"), "TM204", "NUL byte (byte 32, line 2)"),
    # Symlinks out of the project: nothing there is read (the outside file is never hashed or printed) or written.
    "migration.sql linked out": (lambda p: link_out(p, f"{PENDING}/migration.sql"), "TM223", "20261126093100_pending/migration.sql is a symlink"),
    "down.sql linked out": (lambda p: link_out(p, f"{PENDING}/down.sql"), "TM223", "20261126093100_pending/down.sql is a symlink"),
    "migration folder linked out": (link_migration_folder_out, "TM223", "migrations/20261126093100_pending is a symlink"),
    "migrations folder linked out": (link_migrations_folder_out, "TM223", "migrations is a symlink"),
    "teamigrate.sum linked out": (lambda p: link_out(p, "migrations/teamigrate.sum", (p.root / "migrations/teamigrate.sum").read_bytes()), "TM223", "migrations/teamigrate.sum is a symlink"),
    # history_table: PostgreSQL's own tables are refused with the config, a table that is not teamigrate's by its shape.
    "history table in pg_catalog": (lambda p: set_history_table(p, "pg_catalog.pg_class"), "TM105", "system schema"),
    "history table in pg_toast": (lambda p: set_history_table(p, "pg_toast.x"), "TM105", "`pg_toast`"),
    "history table not teamigrate's": (lambda p: set_history_table(p, "public.applied"), "TM221", "not a teamigrate history table"),
}


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.relative_to(root).parts}


def database_state(project: Project) -> tuple[object, ...]:
    return (
        project.sql("SELECT * FROM public.teamigrate_history ORDER BY id"),
        project.sql("SELECT relname, relkind FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1"),
    )


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_fails_cleanly_and_changes_nothing(project: Project, case: str) -> None:
    breakage, code, mention = CASES[case]
    project.write("migrations/20261126093000_applied/migration.sql", "CREATE TABLE applied (id int);\n")
    project.ok("hash")
    project.ok("deploy")
    project.write("migrations/20261126093100_pending/migration.sql", "CREATE TABLE pending (id int);\n")
    project.ok("hash")
    breakage(project)
    # The project's parent: files outside the project (where a symlink leads) must not change either.
    files_before, database_before = tree(project.root.parent), database_state(project)

    result = project.run("deploy")

    assert_refused(result, code, mention)
    assert tree(project.root.parent) == files_before
    assert database_state(project) == database_before


def assert_refused(result: subprocess.CompletedProcess[str], code: str, mention: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error[")]
    assert len(errors) == 1 and errors[0].startswith(f"error[{code}]: "), result.stderr
    assert sum(line.startswith("hint: ") for line in result.stderr.splitlines()) == 1, result.stderr
    assert mention in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "secret" not in result.stderr + result.stdout


FILE_CASES = [case for case, (_, code, _) in CASES.items() if code in ("TM204", "TM223")]


@pytest.mark.parametrize("case", FILE_CASES)
def test_every_reader_of_migration_files_refuses_them_alike(project: Project, case: str) -> None:
    """`hash` and `check` refuse what `deploy` would fail on, and no command reads or writes through a link out."""
    breakage, code, mention = CASES[case]
    project.write("migrations/20261126093000_applied/migration.sql", "CREATE TABLE applied (id int);\n")
    project.ok("hash")
    project.ok("deploy")
    project.write(f"{PENDING}/migration.sql", "CREATE TABLE pending (id int);\n")
    project.write(f"{PENDING}/down.sql", "DROP TABLE pending;\n")
    project.ok("hash")
    breakage(project)
    files_before, database_before = tree(project.root.parent), database_state(project)
    sum_file = project.root / "migrations/teamigrate.sum"
    sum_before = sum_file.read_bytes()

    for command in (["hash"], ["check"], ["check", "--json"], ["status"], ["deploy"], ["lint"]):
        result = project.run(*command)
        if command == ["check", "--json"]:
            # The report stays JSON; the refusal is its one finding.
            assert result.returncode == 1 and f'"code": "{code}"' in result.stdout, result.stdout + result.stderr
            assert "secret" not in result.stdout
        else:
            assert_refused(result, code, mention)
        assert tree(project.root.parent) == files_before, command
        assert sum_file.read_bytes() == sum_before, command
        assert database_state(project) == database_before, command


def test_a_migrations_folder_configured_outside_the_project_is_refused(project: Project) -> None:
    folder = outside(project) / "migrations"
    shutil.move(project.root / "migrations", folder)
    replace_in(project, "teamigrate.yaml", "migrations: migrations", "migrations: ../outside/migrations")
    project.write("migrations/.keep", "")  # not the configured folder: only the config leads out
    files_before = tree(project.root.parent)
    for command in ("hash", "status", "deploy", "check"):
        assert_refused(project.run(command), "TM223", "is outside the project")
    assert tree(project.root.parent) == files_before


def test_symlinks_inside_the_project_are_followed(project: Project) -> None:
    shared = project.write("shared/pending.sql", "CREATE TABLE pending (id int);\n")
    (project.root / PENDING).mkdir(parents=True)
    (project.root / PENDING / "migration.sql").symlink_to(Path("../../shared/pending.sql"))
    project.ok("hash")
    assert project.run("check").returncode == 0
    project.ok("deploy")
    assert project.sql("SELECT id, state FROM public.teamigrate_history") == [("20261126093100_pending", "applied")]
    assert (project.root / PENDING / "migration.sql").is_symlink() and shared.read_text().startswith("CREATE")


def test_hash_keeps_a_symlinked_sum_inside_the_project(project: Project) -> None:
    """`hash` writes the file the link names (atomically, in its folder); the link stays a link."""
    sum_file = project.root / "migrations/teamigrate.sum"
    kept = project.root / "sums/teamigrate.sum"
    kept.parent.mkdir()
    shutil.move(sum_file, kept)
    sum_file.symlink_to(Path("../sums/teamigrate.sum"))
    project.write(f"{PENDING}/migration.sql", "CREATE TABLE pending (id int);\n")
    project.ok("hash")
    assert sum_file.is_symlink()
    assert "20261126093100_pending h1:" in kept.read_text()
    assert sorted(p.name for p in kept.parent.iterdir()) == ["teamigrate.sum"]  # no temporary file left


@pytest.mark.parametrize(
    "name",
    ["pg_catalog.pg_class", "pg_toast.x", "information_schema.tables", "pg_temp.history", "pg_toast_temp_1.history", "pg_mine.history",
     "PG_CATALOG.history", "public." + "h" * 64],
)
def test_a_history_table_postgresql_owns_or_cannot_name_is_refused_with_the_config(project: Project, name: str) -> None:
    set_history_table(project, name)
    for command in ("status", "deploy", "resolve", "hash"):
        result = project.run(command, *(["--applied", "20261126093000_x"] if command == "resolve" else []))
        assert_refused(result, "TM105", f"history_table `{name}`")
    assert project.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


@pytest.mark.parametrize(
    ("make", "what"),
    [
        ("CREATE TABLE public.taken (id int, name text)", "no column checksum"),
        ("CREATE VIEW public.taken AS SELECT 1 AS id", "is a view"),
        ("CREATE SEQUENCE public.taken", "is a sequence"),
    ],
)
def test_status_and_deploy_say_the_history_table_is_not_teamigrates(project: Project, make: str, what: str) -> None:
    project.sql(make)
    set_history_table(project, "public.taken")
    project.write("migrations/20261126093000_first/migration.sql", "CREATE TABLE first (id int);\n")
    project.ok("hash")
    for command in ("status", "status --json", "deploy", "rollback --steps 1"):
        assert_refused(project.run(*command.split()), "TM221", what)
    assert project.sql("SELECT count(*) FROM pg_class WHERE relname = 'first'") == [(0,)]


@pytest.fixture
def role(project: Project) -> Iterator[str]:
    """A login role with no privileges of its own; dropped with what it was granted."""
    name = "tm_role_" + uuid.uuid4().hex[:8]
    project.sql(f"CREATE ROLE {name} LOGIN")
    yield name
    project.sql(f"DROP OWNED BY {name}")
    project.sql(f"DROP ROLE {name}")


def connect_as(project: Project, role: str) -> None:
    assert project.database_url.startswith("postgresql://postgres@"), project.database_url
    set_database_url(project, project.database_url.replace("postgresql://postgres@", f"postgresql://{role}@", 1))


def test_a_history_table_the_role_may_not_read_or_write_is_tm224(project: Project, role: str) -> None:
    project.write("migrations/20261126093000_first/migration.sql", "SELECT 1;\n")
    project.ok("hash")
    project.ok("deploy")  # as the superuser: the history table is the superuser's
    connect_as(project, role)
    rows_before = project.sql("SELECT * FROM public.teamigrate_history")

    assert_refused(project.run("status"), "TM224", "may not read the history table public.teamigrate_history")
    project.sql(f"GRANT SELECT ON public.teamigrate_history TO {role}")
    project.ok("status")
    project.write("migrations/20261126093100_second/migration.sql", "SELECT 2;\n")
    project.ok("hash")
    result = project.run("deploy")
    assert_refused(result, "TM224", "may not write the history table public.teamigrate_history")
    assert "GRANT" in result.stderr or "grant the role" in result.stderr
    assert project.sql("SELECT * FROM public.teamigrate_history") == rows_before


def test_the_first_deploy_may_not_create_the_history_tables_schema_as_tm224(project: Project, role: str) -> None:
    set_history_table(project, "audit.teamigrate_history")
    project.write("migrations/20261126093000_first/migration.sql", "SELECT 1;\n")
    project.ok("hash")
    connect_as(project, role)
    assert_refused(project.run("deploy"), "TM224", "may not create or read the history table audit.teamigrate_history")
    assert project.sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'audit'") == [(0,)]


def test_a_role_that_may_create_only_in_its_schema_deploys(project: Project, role: str) -> None:
    """The history table's schema exists: deploy needs CREATE there, not on the database."""
    project.sql(f"GRANT USAGE, CREATE ON SCHEMA public TO {role}")
    project.write("migrations/20261126093000_first/migration.sql", "CREATE TABLE first (id int);\n")
    project.ok("hash")
    connect_as(project, role)
    project.ok("deploy")
    assert project.sql("SELECT id, state, applied_by FROM public.teamigrate_history") == [("20261126093000_first", "applied", role)]

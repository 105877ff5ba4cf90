"""Every way the user's input can be wrong: exit 1, one error line with its code, a hint, nothing changed."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project


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
    files_before, database_before = tree(project.root), database_state(project)

    result = project.run("deploy")

    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error[")]
    assert len(errors) == 1 and errors[0].startswith(f"error[{code}]: "), result.stderr
    assert sum(line.startswith("hint: ") for line in result.stderr.splitlines()) == 1, result.stderr
    assert mention in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "secret" not in result.stderr + result.stdout
    assert tree(project.root) == files_before
    assert database_state(project) == database_before

"""output: what a command writes to stdout and stderr reaches a shared pipe (a hook's or CI's log) in the order it was written."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import Project


def _run_into_one_pipe(project: Project, *args: str) -> list[str]:
    # As `teamigrate … 2>&1 | cat` in a hook or a CI log: one pipe behind both streams, and a process of its own,
    # so that nothing but teamigrate's own writes decide the order.
    ran = subprocess.run([sys.executable, "-m", "teamigrate", *args], cwd=project.root, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout
    return ran.stdout.splitlines()


def _index(lines: list[str], start: str) -> int:
    found = [number for number, line in enumerate(lines) if line.startswith(start)]
    assert len(found) == 1, (start, lines)
    return found[0]


def test_deploy_and_status_write_stdout_and_stderr_in_order(project: Project) -> None:
    project.write("migrations/20260102000000_second/migration.sql", "CREATE TABLE second (id int);\n")
    project.ok("hash")
    project.ok("deploy")
    # Merged from another branch: it sorts before an applied migration, which deploy warns about (stderr) before applying it (stdout).
    project.write("migrations/20260101000000_first/migration.sql", "CREATE TABLE first (id int);\n")
    project.write("migrations/20260103000000_third/migration.sql", "CREATE TABLE third (id int);\n")
    project.ok("hash")

    deploy = _run_into_one_pipe(project, "deploy")
    assert (_index(deploy, "warning: 20260101000000_first sorts before 20260102000000_second")
            < _index(deploy, "applied 20260101000000_first")
            < _index(deploy, "applied 20260103000000_third")
            < _index(deploy, "deployed 2 migrations"))

    # A hand-edited sum file: status prints the table (stdout, through rich) and then warns (stderr).
    sum_file = project.root / "migrations" / "teamigrate.sum"
    sum_file.write_text(sum_file.read_text().replace("h1:", "h1:x", 1))
    status = _run_into_one_pipe(project, "status")
    assert (_index(status, "database: ")
            < _index(status, " migration ")
            < _index(status, " 20260103000000_third")
            < _index(status, "3 migrations, 0 pending")
            < _index(status, "warning: "))

"""launch.py's typer-free `deploy`: the same result and the same failures as through typer, without importing typer, sqlparse or psycopg."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from teamigrate.launch import _plain
from tests.conftest import Project, run_cli, run_process


@pytest.mark.parametrize(("args", "expected"), [
    (["deploy"], ("deploy", None, False, frozenset(), None)),
    (["--debug", "deploy"], ("deploy", None, True, frozenset(), None)),
    (["--config", "other.yaml", "--debug", "deploy"], ("deploy", "other.yaml", True, frozenset(), None)),
    (["check", "--staged"], ("check", None, False, frozenset({"--staged"}), None)),
    (["--debug", "check", "--json", "--no-cache", "--drift"], ("check", None, True, frozenset({"--json", "--no-cache", "--drift"}), None)),
    (["check", "--staged", "--staged"], None),
    (["check", "--base", "main"], None),  # an option with a value: typer's
    (["check", "--format", "github"], None),
    (["deploy", "--help"], None),
    (["deploy", "--dry-run"], None),
    (["deploy", "--config", "x.yaml"], None),  # typer refuses a global option after the command: so must we
    (["--config", "--debug", "deploy"], None),
    (["new", "add_email"], ("new", None, False, frozenset(), "add_email")),
    (["new", "--empty", "backfill", "--online-safe"], ("new", None, False, frozenset({"--empty", "--online-safe"}), "backfill")),
    (["new"], None),  # typer's usage error
    (["new", "a", "b"], None),
    (["new", "-x"], None),
    (["new", "a", "--online-safe", "--no-online-safe"], None),
    (["new", "--help"], None),
    (["dev"], ("dev", None, False, frozenset(), None)),
    (["dev", "--name", "add_email", "--create-only"], ("dev", None, False, frozenset({"--create-only"}), "add_email")),
    (["--config", "c.yaml", "dev", "--capture-drift", "--no-online-safe"], ("dev", "c.yaml", False, frozenset({"--capture-drift", "--no-online-safe"}), None)),
    (["dev", "--name"], None),
    (["dev", "--name", "--create-only"], None),
    (["dev", "--name=x"], None),
    (["dev", "--name", "a", "--name", "b"], None),
    (["dev", "add_email"], None),
    (["status"], None),
    (["--debug"], None),
    ([], None),
])
def test_only_plain_command_lines_skip_typer(args: list[str], expected: tuple[str, str | None, bool, frozenset[str], str | None] | None) -> None:
    assert _plain(args) == expected


def test_check_without_typer_reports_and_fails_as_through_typer(project: Project) -> None:
    project.write("migrations/20260101000000_first/migration.sql", "CREATE TABLE a (id int PRIMARY KEY);\n")
    project.ok("hash")
    here = run_cli(["check", "--json", "--no-cache"], project.root)
    alone = run_process(["check", "--json", "--no-cache"], project.root, {"PYTHONPROFILEIMPORTTIME": "1", "TEAMIGRATE_DAEMON": "0"})
    imported = {line.split("|")[-1].strip() for line in alone.stderr.splitlines() if line.startswith("import time:")}
    assert "teamigrate.commands.check" in imported and not {"typer", "teamigrate.cli"} & imported
    assert (alone.returncode, json.loads(alone.stdout)) == (here.returncode, json.loads(here.stdout)) and here.returncode == 0

    project.write("migrations/20260101000100_broken/migration.sql", "CREATE TABLE b (id int PRIMARY KEY;\n")
    project.ok("hash")
    here = run_cli(["check", "--staged"], project.root)
    alone = run_process(["check", "--staged"], project.root, {"TEAMIGRATE_DAEMON": "0"})
    assert alone.returncode == here.returncode == 1
    assert alone.stderr == here.stderr and "error[" in alone.stderr and "Traceback" not in alone.stderr


def test_new_and_dev_without_typer_write_apply_and_fail_as_through_typer(project: Project) -> None:
    config = project.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace("# schema: schema.sql", "schema: schema.sql", 1))
    project.write("schema.sql", "CREATE TABLE a (id int PRIMARY KEY);\n")
    done = run_process(["dev", "--name", "add_a"], project.root, {"PYTHONPROFILEIMPORTTIME": "1", "TEAMIGRATE_DAEMON": "0"})
    assert done.returncode == 0, done.stderr
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "teamigrate.commands.dev" in imported and not {"typer", "teamigrate.cli"} & imported
    assert project.sql("SELECT count(*) FROM a") == [(0,)]
    first = [p.name for p in (project.root / "migrations").iterdir() if p.is_dir()]
    assert len(first) == 1 and first[0].endswith("_add_a")

    # new through launch and through typer: the same migration (its folder name aside: each has its own id).
    with (project.root / "schema.sql").open("a") as schema:
        schema.write("CREATE TABLE b (id int PRIMARY KEY, note text);\n")
    alone = run_process(["new", "--no-online-safe", "add_b"], project.root, {"TEAMIGRATE_DAEMON": "0"})
    assert alone.returncode == 0, alone.stderr
    written = sorted(p for p in (project.root / "migrations").iterdir() if p.is_dir() and p.name.endswith("_add_b"))
    assert len(written) == 1
    # Each text with its own folder's name as a placeholder: down.sql names the migration it reverses.
    launched = tuple((written[0] / f).read_text().replace(written[0].name, "<id>") for f in ("migration.sql", "down.sql"))
    shutil.rmtree(written[0])
    project.ok("hash")
    here = run_cli(["new", "--no-online-safe", "add_b"], project.root)
    assert here.returncode == 0, here.stderr
    again = [p for p in (project.root / "migrations").iterdir() if p.is_dir() and p.name.endswith("_add_b")]
    assert tuple((again[0] / f).read_text().replace(again[0].name, "<id>") for f in ("migration.sql", "down.sql")) == launched
    assert "CREATE TABLE" in launched[0]

    # A failure: the same lines as through typer.
    (project.root / "schema.sql").write_text("CREATE TABLE a (id int PRIMARY KEY;\n")
    alone = run_process(["new", "broken"], project.root, {"TEAMIGRATE_DAEMON": "0"})
    here = run_cli(["new", "broken"], project.root)
    assert alone.returncode == here.returncode == 1
    assert alone.stderr == here.stderr and alone.stderr.startswith("error[TM303]") and "Traceback" not in alone.stderr


def test_deploy_without_typer_applies_and_fails_as_through_typer(project: Project) -> None:
    project.write("migrations/20260101000000_first/migration.sql", "CREATE TABLE a (id int PRIMARY KEY);\n")
    project.ok("hash")

    done = run_process(["deploy"], project.root, {"PYTHONPROFILEIMPORTTIME": "1"})
    assert done.returncode == 0, done.stderr
    assert "deployed 1 migration" in done.stdout
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "teamigrate.commands.deploy_fast" in imported  # the import trace is there
    assert not {"typer", "sqlparse", "platformdirs", "psycopg"} & imported  # libpq alone (commands/deploy_fast.py)
    assert project.sql("SELECT count(*) FROM a") == [(0,)]

    # A failure: the two lines and the exit code every command gives, no traceback but with --debug.
    url, query = project.database_url.split("?", 1)
    missing = url.rsplit("/", 1)[0] + "/teamigrate_no_such_database?" + query
    config = (project.root / "teamigrate.yaml").read_text()
    (project.root / "teamigrate.yaml").write_text(config.replace(f"database_url: {project.database_url}", "database_url: ${DATABASE_URL}"))
    failed = run_process(["deploy"], project.root, {"DATABASE_URL": missing})
    assert failed.returncode == 1
    lines = failed.stderr.splitlines()
    assert lines[0].startswith("error[TM112]: database `teamigrate_no_such_database` does not exist"), failed.stderr
    assert lines[1].startswith("hint: ") and len(lines) == 2, failed.stderr
    with_debug = run_process(["--debug", "deploy"], project.root, {"DATABASE_URL": missing})
    assert with_debug.returncode == 1 and "Traceback" in with_debug.stderr


def _ends(code: str) -> subprocess.CompletedProcess[str]:
    """A process that imports launch, runs `code`, then ends through launch._exit."""
    return subprocess.run([sys.executable, "-c", f"import atexit, sys, threading, time\nfrom teamigrate.launch import _exit\n{code}"],
                          capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(("code", "status", "stdout", "stderr"), [
    ("atexit.register(lambda: print('callback'))\nprint('written', end='')\n_exit(3)", 3, "writtencallback\n", ""),
    ("sys.stdout.write('unflushed')\n_exit(None)", 0, "unflushed", ""),
    ("_exit('a message for stderr')", 1, "", "a message for stderr\n"),
    ("_exit(256 + 7)", 7, "", ""),
    # Another thread alive: the ordinary exit, which waits for it (and runs the callbacks once).
    # A profiler that writes its report after the program (python -m cProfile): the ordinary exit.
    ("sys.setprofile(lambda *args: None)\ntry:\n    _exit(5)\nexcept SystemExit as done:\n    sys.setprofile(None)\n    print('raised', done.code)", 0, "raised 5\n", ""),
    ("atexit.register(lambda: print('callback'))\nthreading.Thread(target=lambda: (time.sleep(0.3), print('thread'))).start()\n_exit(4)", 4, "thread\ncallback\n", ""),
])
def test_the_quick_exit_keeps_what_an_ordinary_exit_does(code: str, status: int, stdout: str, stderr: str) -> None:
    ended = _ends(code)
    assert (ended.returncode, ended.stdout, ended.stderr) == (status, stdout, stderr)


def test_a_reader_that_leaves_early_ends_the_command_quietly(project: Project) -> None:
    for index in range(3):
        project.write(f"migrations/2026120100000{index}_m{index}/migration.sql", f"CREATE TABLE t{index} (id int);\n")
    project.ok("hash")
    for args in (["status"], ["deploy"]):  # through typer (click ends it) and through launch (cli.run does, alike)
        process = subprocess.Popen([sys.executable, "-m", "teamigrate", *args], cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # `| head -0`: the first write finds no reader
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=60) == 1 and stderr == "", stderr


def test_ctrl_c_ends_check_at_once_while_a_thread_waits_for_a_database_that_does_not_answer(project: Project) -> None:
    import signal
    import socket
    import time

    project.write("migrations/20260101000000_first/migration.sql", "CREATE TABLE a (id int PRIMARY KEY);\n")
    project.ok("hash")
    with socket.socket() as silent:  # accepts, never answers: libpq waits its 10 s connect timeout
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        silent.settimeout(60)
        config = project.root / "teamigrate.yaml"
        config.write_text(config.read_text().replace(project.database_url, f"postgresql://nobody@127.0.0.1:{silent.getsockname()[1]}/app"))
        client = subprocess.Popen([sys.executable, "-m", "teamigrate", "check", "--drift"], cwd=project.root,
                                  env={**os.environ, "TEAMIGRATE_DAEMON": "0"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            waiting, _ = silent.accept()  # check's thread is connecting now
            with waiting:
                time.sleep(0.3)
                interrupted = time.monotonic()
                client.send_signal(signal.SIGINT)
                _, stderr = client.communicate(timeout=30)
                ended = time.monotonic() - interrupted
        finally:
            client.kill()
    assert client.returncode == 130, stderr
    assert stderr.strip().endswith("interrupted") and ended < 5, (ended, stderr)  # not the 10 s the thread still had to wait

"""`teamigrate daemon`: commands handed to a process that keeps teamigrate imported behave exactly as commands run alone."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Project, git, run_cli

SCHEMA = "CREATE TABLE account (id bigint PRIMARY KEY, email text NOT NULL);\n"
MIGRATION = "CREATE TABLE account (id bigint PRIMARY KEY, email text NOT NULL);\n"


@pytest.fixture
def daemon_home(shadow_server) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    """A teamigrate home of its own (a short path: the socket lives there), whose daemon is stopped afterwards.

    Projects point their shadow at the session's server, so no second PostgreSQL starts.
    """
    home = tempfile.mkdtemp(prefix="tmd-", dir="/tmp")
    env = {"TEAMIGRATE_HOME": home, "TEAMIGRATE_DAEMON": ""}  # the session turns the daemon off for other tests
    yield env
    run_cli(["daemon", "stop"], Path(home), env)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def checked_project(project: Project, shadow_server, daemon_home: dict[str, str]) -> Project:  # type: ignore[no-untyped-def]
    project.env.update(daemon_home)
    config = project.root / "teamigrate.yaml"
    config.write_text(config.read_text() + f"schema: schema.sql\nshadow_database_url: {shadow_server.admin_url}\n")
    project.write("schema.sql", SCHEMA)
    project.write("migrations/20260101000000_account/migration.sql", MIGRATION)
    project.ok("hash")
    project.git("add", "-A")
    project.git("commit", "-q", "--no-verify", "-m", "account")
    return project


def served(project: Project) -> int:
    lines = project.ok("daemon", "status").stdout.splitlines()
    assert lines[0].startswith("teamigrate daemon: running"), lines
    return int(lines[0].split("), ")[1].split()[0])


def alone(project: Project, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return project.run(*args, env={**(env or {}), "TEAMIGRATE_DAEMON": "0"})


def test_start_status_and_stop(checked_project: Project) -> None:
    assert checked_project.ok("daemon", "status").stdout.startswith("teamigrate daemon: stopped")
    started = checked_project.ok("daemon", "start").stdout
    assert started.startswith("teamigrate daemon started (pid ")
    assert checked_project.ok("daemon", "start").stdout.startswith("teamigrate daemon already running")
    assert served(checked_project) == 0
    socket_file = Path(checked_project.ok("daemon", "status").stdout.splitlines()[1].removeprefix("socket: "))
    # Only this user may hand it a command.
    assert stat.S_IMODE(socket_file.parent.stat().st_mode) == 0o700
    assert checked_project.ok("daemon", "stop").stdout == "teamigrate daemon stopped\n"
    assert not socket_file.exists()
    assert checked_project.ok("daemon", "stop").stdout == "teamigrate daemon was not running\n"


def test_check_in_the_daemon_answers_as_check_alone(checked_project: Project) -> None:
    checked_project.ok("daemon", "start")
    passing = checked_project.run("check")
    assert (passing.returncode, passing.stdout, passing.stderr) == (0, "check passed: 1 migration\n", "")
    assert served(checked_project) == 1

    # A schema change without a migration: the same refusal, code and hint, through the daemon and alone.
    checked_project.write("schema.sql", SCHEMA + "CREATE TABLE invoice (id bigint PRIMARY KEY);\n")
    through_daemon = checked_project.run("check")
    without = alone(checked_project, "check")
    assert through_daemon.returncode == without.returncode == 1
    assert "error[TM524]" in through_daemon.stderr
    assert (through_daemon.stdout, through_daemon.stderr) == (without.stdout, without.stderr)
    as_json = checked_project.run("check", "--json")
    assert as_json.returncode == 1 and '"code": "TM524"' in as_json.stdout
    assert served(checked_project) == 3

    # Usage errors and lint go through it too, with click's exit code.
    usage = checked_project.run("check", "--no-such-option")
    assert usage.returncode == 2 and "No such option" in usage.stderr
    linted = checked_project.run("lint", "--all")
    assert linted.returncode == alone(checked_project, "lint", "--all").returncode == 0
    assert served(checked_project) == 5
    # Other commands never do.
    checked_project.ok("status")
    assert served(checked_project) == 5


def test_the_command_gets_the_clients_folder_and_environment(tmp_path: Path, shadow_server, daemon_home: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    # A monorepo: the project in services/api, the hook's TEAMIGRATE_CONFIG naming it from the top of the work tree.
    root = tmp_path / "repo"
    api = root / "services" / "api"
    api.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    assert run_cli(["init"], api, daemon_home).returncode == 0
    with (api / "teamigrate.yaml").open("a") as config:
        config.write(f"schema: schema.sql\nshadow_database_url: {shadow_server.admin_url}\n")
    (api / "schema.sql").write_text(SCHEMA)
    (api / "migrations" / "20260101000000_account").mkdir()
    (api / "migrations" / "20260101000000_account" / "migration.sql").write_text(MIGRATION)
    assert run_cli(["hash"], api, daemon_home).returncode == 0
    top = Project(root, "", dict(daemon_home))
    top.ok("daemon", "start")

    named = top.run("check", env={"TEAMIGRATE_CONFIG": str(api / "teamigrate.yaml")})
    assert (named.returncode, named.stdout) == (0, "check passed: 1 migration\n"), named.stderr
    unnamed = top.run("check")
    assert unnamed.returncode == 1 and unnamed.stderr.startswith("error[TM101]"), unnamed.stderr
    assert Project(api, "", dict(daemon_home)).ok("check").stdout.startswith("check passed: 1 migration")
    assert served(top) == 3


def test_a_daemon_running_older_code_steps_aside(checked_project: Project, tmp_path: Path) -> None:
    # A copy of the package stands for an installation that is upgraded while its daemon runs.
    copy = tmp_path / "installed"
    shutil.copytree(Path(__file__).resolve().parent.parent / "teamigrate", copy / "teamigrate", ignore=shutil.ignore_patterns("__pycache__"))
    env = {"PYTHONPATH": str(copy)}
    started = checked_project.run("daemon", "start", env=env)
    assert started.returncode == 0, started.stderr
    assert checked_project.run("check", env=env).returncode == 0
    assert served(checked_project_with(checked_project, env)) == 1

    upgraded = copy / "teamigrate" / "commands" / "check.py"
    upgraded.write_text(upgraded.read_text() + "\n# upgraded\n")
    after = checked_project.run("check", env=env)
    assert (after.returncode, after.stdout) == (0, "check passed: 1 migration (unchanged since the last successful check)\n"), after.stderr
    status = checked_project.run("daemon", "status", env=env)
    assert status.stdout.startswith("teamigrate daemon: stopped"), status.stdout


def checked_project_with(project: Project, env: dict[str, str]) -> Project:
    return Project(project.root, project.database_url, {**project.env, **env})


def test_it_stops_when_idle_or_when_its_home_is_deleted(checked_project: Project) -> None:
    checked_project.ok("daemon", "start", "--idle-minutes", "0.02")
    deadline = time.monotonic() + 20
    while checked_project.ok("daemon", "status").stdout.startswith("teamigrate daemon: running") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert checked_project.ok("daemon", "status").stdout.startswith("teamigrate daemon: stopped")

    checked_project.ok("daemon", "start")
    status = checked_project.ok("daemon", "status").stdout.splitlines()
    pid = int(status[0].split("pid ")[1].split(")")[0])
    Path(status[1].removeprefix("socket: ")).unlink()
    deadline = time.monotonic() + 20
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(pid)
    # Commands run on their own again.
    assert checked_project.run("check").returncode == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (not yet reaped by its parent) is gone as far as we care.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return sys.platform != "linux"


def test_start_refuses_a_socket_path_too_long(checked_project: Project, tmp_path: Path) -> None:
    long_home = tmp_path / ("h" * 120)
    result = checked_project.run("daemon", "start", env={"TEAMIGRATE_HOME": str(long_home)})
    assert result.returncode == 1
    assert result.stderr.startswith("error[TM120]: the daemon's socket path is ")
    assert "hint: set TEAMIGRATE_HOME to a shorter folder" in result.stderr
    assert not long_home.exists()


def test_ctrl_c_reaches_the_command(checked_project: Project) -> None:
    # The developer's database is a server that accepts and never answers: `check --drift` waits on it.
    import signal
    import socket
    import subprocess

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        config = checked_project.root / "teamigrate.yaml"
        config.write_text(config.read_text().replace(checked_project.database_url, f"postgresql://nobody@127.0.0.1:{silent.getsockname()[1]}/app"))
        checked_project.ok("daemon", "start")
        client = subprocess.Popen([sys.executable, "-m", "teamigrate", "check", "--drift"], cwd=checked_project.root,
                                  env={**os.environ, **checked_project.env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while served(checked_project) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        assert client.poll() is None, client.communicate()
        client.send_signal(signal.SIGINT)
        _, stderr = client.communicate(timeout=20)
    assert client.returncode == 130, stderr


def test_a_client_that_sends_nonsense_or_goes_away_does_not_stop_it(checked_project: Project) -> None:
    import socket
    import struct

    checked_project.ok("daemon", "start")
    path = checked_project.ok("daemon", "status").stdout.splitlines()[1].removeprefix("socket: ")
    for garbage in (struct.pack("!I", 5) + b"[1,2]", struct.pack("!I", 4) + b"{{{{", struct.pack("!I", 100) + b"{}", b"\x00"):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)
            sock.sendall(garbage)
    assert served(checked_project) == 0
    assert checked_project.run("check").returncode == 0
    assert served(checked_project) == 1

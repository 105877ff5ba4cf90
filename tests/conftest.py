"""Shared fixtures: one embedded PostgreSQL for the whole session, real git repos in temp folders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# One server for the whole session (and for every xdist worker): the controller
# picks its home before workers start, so they inherit it, and stops it at the end.
_SESSION_HOME_ENV = "TEAMIGRATE_TEST_HOME"
PG15_BIN = Path("/usr/lib/postgresql/15/bin")


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    # Thousands of tests run teamigrate as a process. Where PYTHONDONTWRITEBYTECODE is set (this CI image)
    # and the install is editable, each would compile teamigrate from source (45 ms); compile it once.
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "teamigrate"), quiet=1)
    if not os.environ.get(_SESSION_HOME_ENV):
        home = tempfile.mkdtemp(prefix="tmtest-", dir="/tmp")
        os.environ[_SESSION_HOME_ENV] = home
        os.environ["TEAMIGRATE_HOME"] = home
        config._teamigrate_home = home  # type: ignore[attr-defined]
    # A developer's own settings must not leak into tests.
    for name in ("DATABASE_URL", "SHADOW_DATABASE_URL", "TEAMIGRATE_CONFIG"):
        os.environ.pop(name, None)
    # Commands run by themselves, never by a daemon that a guide (or a developer) started in the
    # same teamigrate home; the daemon's own tests and the guides turn this off.
    os.environ["TEAMIGRATE_DAEMON"] = "0"
    os.environ.setdefault("GIT_AUTHOR_NAME", "Test Developer")
    os.environ.setdefault("GIT_AUTHOR_EMAIL", "dev@example.com")
    os.environ.setdefault("GIT_COMMITTER_NAME", "Test Developer")
    os.environ.setdefault("GIT_COMMITTER_EMAIL", "dev@example.com")


def pytest_unconfigure(config: pytest.Config) -> None:
    home = getattr(config, "_teamigrate_home", None)
    if home is None:
        return
    from teamigrate.server.cluster import embedded_cluster

    embedded_cluster().stop()
    for cluster_home in Path(home).glob("server-*"):
        from teamigrate.server.cluster import PostgresCluster

        PostgresCluster(Path("/nonexistent"), cluster_home).stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def shadow_server():  # type: ignore[no-untyped-def]
    from teamigrate.server.shadow import ShadowServer

    return ShadowServer.embedded()


@pytest.fixture
def database(shadow_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh empty database on the session server; its URL."""
    with shadow_server.scratch() as url:
        yield url


@pytest.fixture(scope="session")
def database_pool() -> Iterator:  # type: ignore[type-arg]
    """Databases this worker empties and hands out again instead of making new ones (tests/schema/reused_databases.py)."""
    from tests.schema.reused_databases import DatabasePool

    pool = DatabasePool("tmpool")
    yield pool
    pool.drop_all()


@pytest.fixture
def make_database(shadow_server) -> Iterator:  # type: ignore[no-untyped-def]
    """Make as many fresh databases as a test needs; all dropped afterwards."""
    names: list[str] = []

    def make() -> str:
        import uuid

        name = "tmtest_" + uuid.uuid4().hex[:12]
        names.append(name)
        return shadow_server.create_database(name)

    yield make
    for name in names:
        shadow_server.drop_database(name)


# Commands run in this process (as typer's CliRunner would, but at the file-descriptor level so
# that git, squawk and seed commands the command starts are captured too): a new Python process
# and its imports cost about 0.3 s, which thousands of CLI tests paid. A run that is about
# processes (its own teamigrate home, the daemon, a time limit) still gets a process of its own.
_OWN_PROCESS_ENV = frozenset({"TEAMIGRATE_HOME", "TEAMIGRATE_DAEMON"})
DEFAULT_TIMEOUT = 300.0


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None, input: str | None = None,
            timeout: float = DEFAULT_TIMEOUT, process: bool = False) -> subprocess.CompletedProcess[str]:
    """Run teamigrate as a user would: its exit code, stdout and stderr."""
    if process or timeout != DEFAULT_TIMEOUT or _OWN_PROCESS_ENV & set(env or {}) or (args and args[0] == "daemon"):
        return run_process(args, cwd, env, input, timeout)
    return _run_here(args, cwd, env or {}, input)


def run_process(args: list[str], cwd: Path, env: dict[str, str] | None = None, input: str | None = None,
                timeout: float = DEFAULT_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """teamigrate as a separate process."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "teamigrate", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, input=input, timeout=timeout,
    )


def _run_here(args: list[str], cwd: Path, env: dict[str, str], input: str | None) -> subprocess.CompletedProcess[str]:
    import gc
    import io

    from teamigrate.cli import main

    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_argv = sys.argv
    saved_fds = [os.dup(fd) for fd in (0, 1, 2)]
    files = [tempfile.TemporaryFile() for _ in range(3)]
    code = 0
    try:
        files[0].write((input or "").encode())
        files[0].seek(0)
        for fd, file in enumerate(files):
            os.dup2(file.fileno(), fd)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", write_through=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", write_through=True)
        sys.argv = ["teamigrate", *args]
        os.environ.update(env)
        os.chdir(cwd)
        try:
            main(list(args))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        sys.argv = saved_argv
        for fd, saved in enumerate(saved_fds):
            os.dup2(saved, fd)
            os.close(saved)
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        # Connections a command left to the garbage collector close now, not thousands of commands later.
        gc.collect()
    texts = []
    for file in files[1:]:
        file.seek(0)
        texts.append(file.read().decode("utf-8", errors="replace"))
        file.close()
    files[0].close()
    return subprocess.CompletedProcess(["teamigrate", *args], code, texts[0], texts[1])


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


@dataclass
class Project:
    """A user's repository: a git work tree with teamigrate.yaml pointing at its own database."""

    root: Path
    database_url: str
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        merged = {**self.env, **(env or {})}
        return run_cli(list(args), self.root, merged, input=input)

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.run(*args)
        assert result.returncode == 0, f"teamigrate {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        return result

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def git(self, *args: str) -> str:
        return git(self.root, *args)

    def sql(self, query: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cur = conn.execute(query)
            return cur.fetchall() if cur.description else []


def write_config(root: Path, database_url: str, extra: str = "") -> None:
    (root / "teamigrate.yaml").write_text(
        f"database_url: {database_url}\nmigrations: migrations\nmain_branch: main\n{extra}"
    )


@pytest.fixture
def project(tmp_path: Path, make_database) -> Project:  # type: ignore[no-untyped-def]
    """A git repository with an initialised teamigrate project and its own fresh database."""
    root = tmp_path / "app"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    url = make_database()
    result = run_cli(["init"], root)
    assert result.returncode == 0, result.stderr
    # Point the project at its own database instead of the embedded dev default.
    config = (root / "teamigrate.yaml").read_text()
    (root / "teamigrate.yaml").write_text(config.replace("database_url: ${DATABASE_URL:-}", f"database_url: {url}", 1))
    return Project(root=root, database_url=url)


@pytest.fixture(scope="session")
def pg15_bin() -> Path:
    if not (PG15_BIN / "postgres").is_file():
        pytest.skip("PostgreSQL 15 binaries are not on this machine")
    return PG15_BIN

"""The server's socket folder and teamigrate's home: another user's folder is refused, never used."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from teamigrate.server.cluster import PostgresCluster, _socket_dir_for, embedded_bin_dir
from tests.conftest import run_cli
from tests.server.test_cluster import _postmasters

NOBODY = 65534
TIMEOUT = 120  # seconds for any one teamigrate process
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="making a folder that belongs to another user needs root")


@pytest.fixture
def long_home(tmp_path: Path) -> Iterator[Path]:
    """A home whose path is too long for a socket inside it (a CI workspace), so the socket goes to /tmp."""
    home = tmp_path / ("ci-workspace-" + "w" * 64)
    home.mkdir(mode=0o700)
    cluster = PostgresCluster(embedded_bin_dir(), home / "server")
    assert not cluster.socket_dir.is_relative_to(home), "the home must be long enough for the /tmp fallback"
    yield home
    # Whatever a test left at the predictable name, stop the server (if one started) and remove it.
    if cluster.socket_dir.is_symlink() or not cluster.socket_dir.is_dir() or cluster.socket_dir.lstat().st_uid != os.geteuid():
        _remove(cluster.socket_dir)
    cluster.stop()
    _remove(cluster.socket_dir)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def _start(home: Path) -> tuple[int, str]:
    result = run_cli(["server", "start"], home, {"TEAMIGRATE_HOME": str(home)}, input="", timeout=TIMEOUT)
    return result.returncode, result.stdout + result.stderr


def _make_folder(path: Path, owner: int, mode: int) -> Path:
    path.mkdir()
    os.chown(path, owner, owner)
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param("another user's, open to all", "belongs to user nobody (uid 65534)", marks=needs_root),
        pytest.param("another user's, private", "belongs to user nobody (uid 65534)", marks=needs_root),
        pytest.param("ours, open to all", "is open to other users (mode 0777)"),
        pytest.param("a link to a private folder", "is a symbolic link"),
    ],
)
def test_a_socket_folder_made_by_someone_else_is_refused(long_home: Path, tmp_path: Path, case: str, expected: str) -> None:
    socket_dir = _socket_dir_for(long_home / "server")
    assert socket_dir.parent == Path("/tmp") or socket_dir.parent == Path(os.environ.get("TMPDIR", "/tmp"))
    if case == "another user's, open to all":
        watched = _make_folder(socket_dir, NOBODY, 0o777)
    elif case == "another user's, private":
        watched = _make_folder(socket_dir, NOBODY, 0o700)
    elif case == "ours, open to all":
        watched = _make_folder(socket_dir, os.geteuid(), 0o777)
    else:
        # The intruder's folder would be the link's target; here one of ours, private, is refused all the same.
        watched = _make_folder(tmp_path / "elsewhere", os.geteuid(), 0o700)
        socket_dir.symlink_to(watched)

    code, said = _start(long_home)

    assert code == 1, said
    assert f"error[TM125]: the server's socket folder {socket_dir} {expected}" in said
    assert "hint: remove it" in said and "TEAMIGRATE_HOME" in said
    assert "Traceback" not in said
    # Refused before anything ran: no socket placed, no server, not even a cluster made.
    assert os.listdir(watched) == []
    assert _postmasters(long_home / "server" / "data") == []
    assert not (long_home / "server" / "data").exists()


def test_the_fallback_socket_folder_is_made_private_and_then_used(long_home: Path) -> None:
    cluster = PostgresCluster(embedded_bin_dir(), long_home / "server")
    code, said = _start(long_home)
    assert code == 0, said
    info = cluster.socket_dir.lstat()
    assert stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) == 0o700
    assert (cluster.socket_dir / ".s.PGSQL.5432").is_socket()
    with psycopg.connect(cluster.url(), connect_timeout=10) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


@needs_root
def test_a_folder_swapped_under_a_running_server_is_refused_by_the_next_command(long_home: Path) -> None:
    cluster = PostgresCluster(embedded_bin_dir(), long_home / "server")
    code, said = _start(long_home)
    assert code == 0, said
    # Only root (or /tmp's cleaner while the server is stopped) can take the folder; then it is refused on every use.
    ours = cluster.socket_dir.with_name(cluster.socket_dir.name + ".ours")
    cluster.socket_dir.rename(ours)
    try:
        _make_folder(cluster.socket_dir, NOBODY, 0o777)
        (cluster.socket_dir / ".s.PGSQL.5432").symlink_to(ours / ".s.PGSQL.5432")  # a "server" at the expected path
        result = run_cli(["server", "start"], long_home, {"TEAMIGRATE_HOME": str(long_home)}, input="", timeout=TIMEOUT)
        assert result.returncode == 1 and "error[TM125]" in result.stderr, result.stderr
    finally:
        _remove(cluster.socket_dir)
        ours.rename(cluster.socket_dir)


# --- teamigrate's home -------------------------------------------------------


def _status(home: Path) -> tuple[int, str]:
    result = run_cli(["server", "status"], Path("/tmp"), {"TEAMIGRATE_HOME": str(home)}, input="", timeout=TIMEOUT)
    return result.returncode, result.stdout + result.stderr


def test_a_home_of_another_user_has_its_own_code(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        home = _make_folder(tmp_path / "theirs", NOBODY, 0o755)
        whose = "user nobody (uid 65534)"
    else:
        home = Path("/")  # root's, as a user sees it
        whose = "user root (uid 0)"
    code, said = _status(home)
    assert code == 1, said
    assert f"error[TM126]: teamigrate's folder {home} belongs to {whose}, not to you" in said
    assert "hint: set TEAMIGRATE_HOME to a folder of your own" in said
    assert "TM100" not in said and "Traceback" not in said


def test_a_home_that_cannot_be_made_has_its_own_code(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    code, said = _status(tmp_path / "a-file" / "home")
    assert code == 1, said
    assert "error[TM126]: cannot create teamigrate's folder" in said
    assert "TM100" not in said


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any folder")
def test_a_home_you_may_not_write_has_its_own_code(tmp_path: Path) -> None:
    home = tmp_path / "read-only"
    home.mkdir(mode=0o500)
    try:
        code, said = _status(home)
    finally:
        home.chmod(0o700)
    assert code == 1 and "error[TM126]" in said and "is not writable by you" in said, said


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o1777])
def test_a_home_others_may_write_is_refused(tmp_path: Path, mode: int) -> None:
    # Whoever may rename what is in it could put a server (or a stored schema) of theirs in its place; a sticky bit
    # does not help: they could still make the names first.
    home = tmp_path / "shared"
    home.mkdir()
    home.chmod(mode)
    code, said = _status(home)
    assert code == 1, said
    assert f"error[TM127]: teamigrate's folder {home} is writable by other users (mode {mode:04o})" in said
    assert f"hint: chmod go-w {home}" in said
    assert not (home / "server").exists()


@needs_root
def test_a_user_given_another_users_home_gets_its_own_code(tmp_path: Path) -> None:
    """The issue's case, as it happens: a user runs teamigrate with TEAMIGRATE_HOME set to root's folder."""
    as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", sys.executable]
    probe = subprocess.run([*as_nobody, "-c", "import teamigrate.cli"], capture_output=True, text=True, timeout=TIMEOUT)
    if probe.returncode != 0:
        pytest.skip(f"the unprivileged user cannot import teamigrate from this venv: {probe.stderr[-200:]}")
    roots = Path(tempfile.mkdtemp(prefix="tm-roots-", dir="/tmp"))
    try:
        roots.chmod(0o755)
        for home, expected in ((roots, "belongs to user root (uid 0), not to you"),
                               (roots / "sub", "cannot create teamigrate's folder")):
            result = subprocess.run([*as_nobody, "-m", "teamigrate", "server", "status"], cwd="/tmp", capture_output=True,
                                    text=True, timeout=TIMEOUT, env={**os.environ, "TEAMIGRATE_HOME": str(home), "HOME": "/tmp"})
            assert result.returncode == 1, result.stdout
            assert "error[TM126]" in result.stderr and expected in result.stderr, result.stderr
            assert "TM100" not in result.stderr and "PermissionError" not in result.stderr
    finally:
        shutil.rmtree(roots, ignore_errors=True)

"""The embedded server: one per home, raced starts, stale pid files, clean stops, other binaries."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from teamigrate.server.cluster import PostgresCluster, embedded_bin_dir, pg_bin_cluster
from tests.conftest import run_cli


def _postmasters(data_dir: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"/postgres") and str(data_dir).encode() in cmdline:
            pids.append(int(proc.name))
    return pids


@pytest.fixture
def own_home(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A server home of its own, so these tests can start, kill and stop freely."""
    home = tmp_path / "home"
    home.mkdir()
    yield home
    PostgresCluster(embedded_bin_dir(), home / "server").stop()


def test_two_racing_commands_start_one_server(own_home: Path) -> None:
    env = {"TEAMIGRATE_HOME": str(own_home)}
    racers = [
        subprocess.Popen([sys.executable, "-m", "teamigrate", "server", "start"], env={**os.environ, **env},
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [racer.communicate(timeout=120) for racer in racers]
    assert all(racer.returncode == 0 for racer in racers), results
    data_dir = own_home / "server" / "data"
    assert len(_postmasters(data_dir)) == 1
    status = run_cli(["server", "status"], own_home, env)
    assert "running" in status.stdout
    with psycopg.connect(PostgresCluster(embedded_bin_dir(), own_home / "server").url()) as conn:
        assert conn.execute("SHOW fsync").fetchone() == ("off",)
        assert int(conn.execute("SHOW max_locks_per_transaction").fetchone()[0]) >= 1024


def test_recovers_from_a_killed_server_and_a_foreign_pid(own_home: Path) -> None:
    cluster = PostgresCluster(embedded_bin_dir(), own_home / "server")
    cluster.ensure_running()
    pid = cluster.status().pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _postmasters(cluster.data_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (cluster.data_dir / "postmaster.pid").exists(), "a killed server leaves its pid file behind"

    # The stale file now even names a live process that is not PostgreSQL.
    lines = (cluster.data_dir / "postmaster.pid").read_text().splitlines()
    lines[0] = str(os.getpid())
    (cluster.data_dir / "postmaster.pid").write_text("\n".join(lines) + "\n")

    cluster.ensure_running()
    with psycopg.connect(cluster.url()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert cluster.status().pid != os.getpid()


def test_stop_is_clean_and_start_again_reuses_the_data(own_home: Path) -> None:
    env = {"TEAMIGRATE_HOME": str(own_home)}
    cluster = PostgresCluster(embedded_bin_dir(), own_home / "server")
    cluster.ensure_running()
    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE kept")
    stopped = run_cli(["server", "stop"], own_home, env)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert _postmasters(cluster.data_dir) == []
    assert not (cluster.data_dir / "postmaster.pid").exists()
    assert "stopped" in run_cli(["server", "status"], own_home, env).stdout
    again = run_cli(["server", "stop"], own_home, env)
    assert again.returncode == 0 and "was not running" in again.stdout
    cluster.ensure_running()
    with psycopg.connect(cluster.url()) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = 'kept'").fetchone() == (1,)


def test_permissions_outside_the_home_are_untouched(own_home: Path) -> None:
    bin_dir = embedded_bin_dir()
    watched = [bin_dir, bin_dir.parent, own_home.parent, Path(sys.prefix)]
    before = {path: path.stat().st_mode for path in watched}
    PostgresCluster(bin_dir, own_home / "server").ensure_running()
    assert {path: path.stat().st_mode for path in watched} == before


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an unprivileged user")
def test_runs_as_an_unprivileged_user() -> None:
    # pytest's tmp folders are private to root; the user needs a home it can reach.
    home = Path(tempfile.mkdtemp(prefix="tm-nobody-", dir="/tmp"))
    os.chown(home, 65534, 65534)
    probe = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            sys.executable, "-c", "import teamigrate.cli"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"the unprivileged user cannot import teamigrate from this venv: {probe.stderr[-200:]}")
    env = {**os.environ, "TEAMIGRATE_HOME": str(home), "HOME": str(home)}
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "teamigrate"]
    try:
        started = subprocess.run([*as_nobody, "server", "start"], env=env, capture_output=True, text=True, timeout=120)
        assert started.returncode == 0, started.stderr
        pids = _postmasters(home / "server" / "data")
        assert len(pids) == 1
        assert os.stat(f"/proc/{pids[0]}").st_uid == 65534
    finally:
        subprocess.run([*as_nobody, "server", "stop"], env=env, capture_output=True, text=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


def test_shadow_pg_bin_runs_a_second_major_version(pg15_bin: Path) -> None:
    cluster = pg_bin_cluster(pg15_bin)
    cluster.ensure_running()
    with psycopg.connect(cluster.url()) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
    assert version.startswith("15")
    assert cluster.major_version == "15"


def test_shadow_pg_bin_that_is_not_a_bin_folder(tmp_path: Path) -> None:
    from teamigrate.errors import ServerError

    with pytest.raises(ServerError) as caught:
        pg_bin_cluster(tmp_path)
    assert caught.value.code == "TM115"

"""A full disk: TM110 names the server's FATAL line, and `server repair` brings the server back.

The server's disk is a small tmpfs of the test's own, so filling it touches
nothing else; mounting one needs root (CAP_SYS_ADMIN), and the test is skipped
without it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from teamigrate.server.cluster import PostgresCluster, embedded_bin_dir
from tests.conftest import run_cli
from tests.server.test_cluster import _postmasters

TIMEOUT = 120  # seconds for any one teamigrate process
DISK_SIZE = "128m"  # room for a new cluster (about 40 MB) and its write-ahead log


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE},mode=0700", "tmpfs", str(mount_point)],
                             capture_output=True, text=True, timeout=30)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill (needs root with CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        PostgresCluster(embedded_bin_dir(), mount_point / "home" / "server").stop()
        if subprocess.run(["umount", str(mount_point)], capture_output=True, timeout=30).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, timeout=30)


def _teamigrate(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # stdin is a pipe, not a terminal: `server repair` cannot ask, as in CI.
    return run_cli(list(args), home, {"TEAMIGRATE_HOME": str(home)}, input="", timeout=TIMEOUT)


def _fill(disk: Path) -> None:
    """Take every free byte of the disk (again, after a shutdown freed some)."""
    fd = os.open(disk / "ballast", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for chunk in (1 << 20, 4096, 1):  # unbuffered, so that nothing is left to fail at close
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError:
                pass  # ENOSPC: full at this granularity
    finally:
        os.close(fd)


def _databases(cluster: PostgresCluster) -> set[str]:
    with psycopg.connect(cluster.url(), connect_timeout=10, options="-c statement_timeout=30000") as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


def test_a_full_disk_is_named_and_repaired(small_disk: Path) -> None:
    home = small_disk / "home"
    home.mkdir(mode=0o700)
    cluster = PostgresCluster(embedded_bin_dir(), home / "server")
    started = _teamigrate(home, "server", "start")
    assert started.returncode == 0, started.stderr
    with psycopg.connect(cluster.url(), autocommit=True, connect_timeout=10) as conn:
        conn.execute("CREATE DATABASE kept")  # a project's development database

    # The disk fills while the server runs: writes fail (TM118 in a command), and the server stops.
    _fill(small_disk)
    with pytest.raises(psycopg.Error, match="No space left on device"):
        with psycopg.connect(cluster.url(), autocommit=True, connect_timeout=10, options="-c statement_timeout=30000") as conn:
            conn.execute("CREATE TABLE filler AS SELECT repeat('x', 1000) AS x FROM generate_series(1, 100000)")
    assert _teamigrate(home, "server", "stop").returncode == 0
    _fill(small_disk)

    # Every later command: TM110 with the cause, not "Examine the log output".
    failed = _teamigrate(home, "server", "start")
    assert failed.returncode == 1, failed.stdout
    message, hint = failed.stderr.strip().splitlines()[-2:]
    assert message.startswith("error[TM110]: PostgreSQL did not start: ")
    assert "FATAL: " in message or "PANIC: " in message, message
    assert "No space left on device" in message
    assert "Examine the log output" not in message
    assert hint.startswith(f"hint: see the log at {cluster.log_file}; `teamigrate server repair`")
    assert _postmasters(cluster.data_dir) == []

    # Still full: recovery cannot start it, and a rebuild is not done unasked.
    refused = _teamigrate(home, "server", "repair")
    assert refused.returncode == 1, refused.stdout
    assert "repair could not start it with its data kept: PostgreSQL did not start: " in refused.stderr
    assert "the development database of every project whose database_url is empty" in refused.stderr
    assert f"error[TM128]: rebuilding the embedded server would delete {cluster.data_dir} and needs confirming" in refused.stderr
    assert "nothing was deleted" in refused.stderr
    assert (cluster.data_dir / "PG_VERSION").is_file()

    # Space freed: repair recovers it with every database.
    (small_disk / "ballast").unlink()
    repaired = _teamigrate(home, "server", "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "recovered" in repaired.stdout and "nothing was lost" in repaired.stdout
    assert "kept" in _databases(cluster)
    again = _teamigrate(home, "server", "repair")
    assert again.returncode == 0 and "nothing to repair" in again.stdout, again.stderr

    # Full again, and the user chooses to rebuild: a new, empty server.
    _fill(small_disk)
    assert _teamigrate(home, "server", "stop").returncode == 0
    _fill(small_disk)
    assert _teamigrate(home, "server", "start").returncode == 1
    rebuilt = _teamigrate(home, "server", "repair", "--yes")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "rebuilt" in rebuilt.stdout
    assert "kept" not in _databases(cluster)
    assert len(_postmasters(cluster.data_dir)) == 1

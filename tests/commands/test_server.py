"""`server status` and `server stop` cover every cluster teamigrate runs for a home, as processes in a home of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from teamigrate.server.cluster import PostgresCluster, embedded_bin_dir
from tests.conftest import git, run_cli
from tests.server.test_cluster import _postmasters


@pytest.fixture
def own_home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    yield home
    # Whatever the test left running, stopped (by pid, as `server stop` does).
    PostgresCluster(embedded_bin_dir(), home / "server").stop()
    for cluster_home in home.glob("server-*"):
        PostgresCluster(Path("/unknown"), cluster_home).stop()


def test_status_lists_and_stop_stops_the_shadow_pg_bin_cluster(tmp_path: Path, own_home: Path, pg15_bin: Path, database: str) -> None:
    env = {"TEAMIGRATE_HOME": str(own_home)}
    root = tmp_path / "app"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "teamigrate.yaml").write_text(f"database_url: {database}\nshadow_pg_bin: {pg15_bin}\nschema: schema.sql\n")
    (root / "schema.sql").write_text("CREATE TABLE users (id bigint PRIMARY KEY);\n")
    (root / "migrations").mkdir()
    (root / "migrations" / "teamigrate.sum").write_text("")

    # A command that needs the shadow starts the cluster from shadow_pg_bin, in this home.
    diffed = run_cli(["diff", "--from", "empty", "--to", "schema"], root, env)
    assert diffed.returncode == 0, diffed.stderr
    assert "CREATE TABLE" in diffed.stdout
    [cluster_home] = own_home.glob("server-*")
    data_dir = cluster_home / "data"
    [pid] = _postmasters(data_dir)

    status = run_cli(["server", "status"], root, env)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0].startswith("embedded PostgreSQL ")
    assert f"PostgreSQL 15 from {pg15_bin}: running (pid {pid})" in lines
    assert f"  data:   {data_dir}" in lines
    # Scripts that read the embedded server's socket (`sed -n 's/^socket: *//p'`) still find exactly one line.
    assert sum(line.startswith("socket:") for line in lines) == 1

    stopped = run_cli(["server", "stop"], root, env)
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.splitlines() == ["embedded PostgreSQL was not running", f"PostgreSQL 15 from {pg15_bin} stopped"]
    assert _postmasters(data_dir) == []
    assert not (data_dir / "postmaster.pid").exists()
    assert f"PostgreSQL 15 from {pg15_bin}: stopped" in run_cli(["server", "status"], root, env).stdout.splitlines()

    # Stopped for now, not gone: the next command that needs the shadow starts it again.
    again = run_cli(["diff", "--from", "empty", "--to", "schema", "--format", "summary"], root, env)
    assert again.returncode == 0, again.stderr
    assert len(_postmasters(data_dir)) == 1

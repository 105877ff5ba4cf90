"""`diff` between live databases of another major version than the embedded shadow: the copy for the proof loads there, or the refusal says why."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from teamigrate.server.cluster import pg_bin_cluster
from teamigrate.server.shadow import ShadowServer
from tests.conftest import Project

BEFORE = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n"
AFTER = BEFORE + "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\nCREATE VIEW user_orders AS SELECT u.email, o.id FROM users u JOIN orders o ON o.user_id = u.id;\n"


@pytest.fixture(scope="module")
def pg15(pg15_bin: Path) -> ShadowServer:
    cluster = pg_bin_cluster(pg15_bin)
    cluster.ensure_running()
    return ShadowServer(cluster.url(), cluster)


def _database(server: ShadowServer, name: str, sql: str) -> str:
    server.drop_database(name)
    url = server.create_database(name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())
    return url


def _set_shadow_pg_bin(project: Project, pg_bin: Path | None) -> None:
    if pg_bin is None:
        return
    config = project.root / "teamigrate.yaml"
    config.write_text(re.sub(r"^# ?shadow_pg_bin:.*$", f"shadow_pg_bin: {pg_bin}", config.read_text(), count=1, flags=re.M))
    assert f"shadow_pg_bin: {pg_bin}" in config.read_text()


@pytest.mark.parametrize("matched_shadow", [True, False], ids=["pg15-shadow", "pg18-shadow"])
def test_diff_between_two_pg15_databases(project: Project, pg15: ShadowServer, pg15_bin: Path, matched_shadow: bool) -> None:
    before = _database(pg15, "skew_before", BEFORE)
    after = _database(pg15, "skew_after", AFTER)
    _set_shadow_pg_bin(project, pg15_bin if matched_shadow else None)
    # A session on `before` (a psql left open) keeps it from being a template: its copy for the proof goes through pg_dump.
    with psycopg.connect(before, autocommit=True):
        result = project.run("diff", "--from", before, "--to", after)
    assert result.returncode == 0, result.stderr
    assert "CREATE TABLE public.orders" in result.stdout or "CREATE TABLE orders" in result.stdout
    assert "TM100" not in result.stderr
    # the SQL reaches the target: applied to `before`, the diff is empty
    with psycopg.connect(before, autocommit=True) as conn:
        conn.execute(result.stdout.encode())
    again = project.run("diff", "--from", before, "--to", after, "--exit-code")
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_pg18_source_with_a_pg15_shadow_loads_or_is_refused_clearly(project: Project, pg15_bin: Path, make_database) -> None:  # type: ignore[no-untyped-def]
    before = make_database()
    after = make_database()
    for url, sql in ((before, BEFORE), (after, AFTER)):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.encode())
    _set_shadow_pg_bin(project, pg15_bin)
    result = project.run("diff", "--from", before, "--to", after)
    assert "TM100" not in result.stderr and "Traceback" not in result.stderr
    if result.returncode == 0:
        assert "orders" in result.stdout
    else:
        assert result.stderr.startswith("error[TM") and "\nhint: " in result.stderr

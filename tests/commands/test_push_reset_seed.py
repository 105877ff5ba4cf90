"""`push`, `reset` and `seed` against the developer's database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import Project
from tests.commands.conftest import SCHEMA_V1, assert_refused, schema_dump

WITH_NICKNAME = SCHEMA_V1.replace("UNIQUE\n", "UNIQUE,\n    nickname text\n")


def test_push_applies_the_schema_without_a_migration(dev_project: Project) -> None:
    dev_project.write("schema.sql", WITH_NICKNAME)
    result = dev_project.ok("push")
    assert "no migration written" in result.stdout
    assert dev_project.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users'") == [(3,)]
    assert not any(p.is_dir() for p in (dev_project.root / "migrations").iterdir())
    assert dev_project.sql("SELECT to_regclass('public.teamigrate_history')") == [(None,)]
    assert "already matches" in dev_project.ok("push").stdout


def test_push_refuses_a_column_drop_without_accept_data_loss(dev_project: Project) -> None:
    dev_project.write("schema.sql", WITH_NICKNAME)
    dev_project.ok("push")
    dev_project.sql("INSERT INTO users (email, nickname) VALUES ('a@example.com', 'ace')")
    dev_project.write("schema.sql", SCHEMA_V1)

    refused = dev_project.run("push")
    assert_refused(refused, "TM405")
    assert "DROP COLUMN nickname" in refused.stderr
    assert dev_project.sql("SELECT nickname FROM users") == [("ace",)]

    dev_project.ok("push", "--accept-data-loss")
    assert dev_project.sql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'nickname'") == [(0,)]
    assert dev_project.sql("SELECT email FROM users") == [("a@example.com",)]


def test_reset_refuses_a_remote_host_before_connecting(dev_project: Project) -> None:
    config = dev_project.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace(dev_project.database_url, "postgresql://app:s3cret@db.example.com:5432/app", 1))
    started = time.monotonic()
    result = dev_project.run("reset", "--yes")
    assert_refused(result, "TM406")
    assert "db.example.com" in result.stderr and "--force" in result.stderr
    assert "s3cret" not in result.stderr
    # Refused from the URL alone: no connection attempt (that would be TM111 after a DNS lookup or timeout).
    assert "TM111" not in result.stderr and time.monotonic() - started < 30


# Every form in which libpq would reach 10.1.2.3 although the host, read naively, looks local; and the environment it runs in.
REMOTE_DSNS = {
    "key=value": ("host=10.1.2.3 dbname=prod user=u password=pw1secret", {}),
    "hostaddr": ("postgresql://user:pw1secret@localhost/db?hostaddr=10.1.2.3", {}),
    "PGHOST": ("postgresql:///db", {"PGHOST": "10.1.2.3", "PGPASSWORD": "pw1secret"}),
    "host list": ("postgresql://user:pw1secret@/db?host=/tmp,10.1.2.3", {}),
    "URL host list": ("postgresql://user:pw1secret@localhost,10.1.2.3/db", {}),
    "PGHOSTADDR": ("postgresql://user:pw1secret@localhost/db", {"PGHOSTADDR": "10.1.2.3"}),
    "service": ("service=prod dbname=db password='pw1secret x'", {}),
    "PGSERVICE": ("postgresql:///db", {"PGSERVICE": "prod"}),
}
# A connection attempt would take connect_timeout (10 s) on a network that drops packets, or fail as TM111 at once.
NO_CONNECTION_SECONDS = 8


def _without_network() -> list[str] | None:
    """A command prefix that runs a program in a network namespace of its own, with no network at all; None where none can be made."""
    if shutil.which("unshare") is None:
        return None
    for prefix in (["unshare", "--net"], ["unshare", "-rn"]):
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    return None


@pytest.mark.parametrize("form", sorted(REMOTE_DSNS))
def test_reset_refuses_every_remote_form_before_connecting(dev_project: Project, form: str) -> None:
    dsn, environment = REMOTE_DSNS[form]
    config = dev_project.root / "teamigrate.yaml"
    # A JSON string is a YAML string: the key=value DSN's quotes survive as written.
    config.write_text(config.read_text().replace(dev_project.database_url, json.dumps(dsn), 1))
    started = time.monotonic()
    result = dev_project.run("reset", "--yes", env=environment)
    elapsed = time.monotonic() - started
    assert_refused(result, "TM406")
    assert "10.1.2.3" in result.stderr or "service `prod`" in result.stderr
    assert "pw1secret" not in result.stdout + result.stderr
    assert "TM111" not in result.stderr and elapsed < NO_CONNECTION_SECONDS, f"{elapsed:.1f} s"

    # With no network at all, a connection attempt fails at once as TM111: TM406 proves there was none.
    prefix = _without_network()
    if prefix is None:
        pytest.skip("no network namespace can be made here (unshare)")
    isolated = subprocess.run(
        [*prefix, sys.executable, "-m", "teamigrate", "reset", "--yes"],
        cwd=dev_project.root, env={**os.environ, **dev_project.env, **environment}, capture_output=True, text=True, timeout=60,
    )
    assert_refused(isolated, "TM406")
    assert "pw1secret" not in isolated.stdout + isolated.stderr


def test_reset_with_force_does_connect_to_a_remote_form(dev_project: Project) -> None:
    """--force still passes the refusal by: then libpq's connection attempt fails, with the password masked."""
    prefix = _without_network()
    if prefix is None:
        pytest.skip("no network namespace can be made here (unshare)")
    config = dev_project.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace(dev_project.database_url, json.dumps(REMOTE_DSNS["key=value"][0]), 1))
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "teamigrate", "reset", "--yes", "--force"],
        cwd=dev_project.root, env={**os.environ, **dev_project.env}, capture_output=True, text=True, timeout=60,
    )
    assert_refused(result, "TM111")
    assert "host=10.1.2.3 dbname=prod user=u password=****" in result.stderr
    assert "pw1secret" not in result.stdout + result.stderr


def test_reset_proceeds_on_a_key_value_dsn_for_the_local_socket(dev_project: Project, shadow_server) -> None:  # type: ignore[no-untyped-def]
    database = dev_project.database_url.split("?")[0].rsplit("/", 1)[1]
    dsn = f"host={shadow_server.cluster.socket_dir}/ dbname={database} user=postgres password='pw1secret x'"
    config = dev_project.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace(dev_project.database_url, json.dumps(dsn), 1))
    dev_project.sql("CREATE TABLE scratch (id int)")
    result = dev_project.ok("reset", "--yes")
    assert "dropped 1 schema in host=" in result.stdout and "password=****" in result.stdout
    assert "pw1secret" not in result.stdout + result.stderr
    assert dev_project.sql("SELECT to_regclass('public.scratch')") == [(None,)]


def test_reset_needs_yes_without_a_terminal(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    dev_project.ok("dev", "--name", "users")
    dev_project.sql("INSERT INTO users (email) VALUES ('keep@example.com')")
    result = dev_project.run("reset", input="y\n")
    assert_refused(result, "TM407")
    assert dev_project.sql("SELECT email FROM users") == [("keep@example.com",)]


def test_reset_rebuilds_from_migrations_and_seeds(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    dev_project.ok("dev", "--name", "users")
    fresh = schema_dump(dev_project.database_url)
    dev_project.sql("CREATE SCHEMA scratch; CREATE TABLE scratch.junk (x int); ALTER TABLE users ADD COLUMN junk int; INSERT INTO users (email) VALUES ('old@example.com')")
    dev_project.write("seed.sql", "INSERT INTO users (email) VALUES ('seed@example.com');\n")
    config = dev_project.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace("# seed: seed.sql", "seed: seed.sql", 1))

    result = dev_project.ok("reset", "--yes")

    assert "public" in result.stdout and "scratch" in result.stdout
    assert "applied 1 migration" in result.stdout
    assert schema_dump(dev_project.database_url) == fresh  # public comes back as it was, junk is gone
    assert dev_project.sql("SELECT email FROM users") == [("seed@example.com",)]
    assert '"pending": 0' in dev_project.ok("status", "--json").stdout

    dev_project.ok("reset", "--yes", "--skip-seed")
    assert dev_project.sql("SELECT count(*) FROM users") == [(0,)]


def test_seed_sql_file_runs_whole_or_not_at_all(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    dev_project.ok("dev", "--name", "users")
    assert_refused(dev_project.run("seed"), "TM408")

    config = dev_project.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace("# seed: seed.sql", "seed: seed.sql", 1))
    assert_refused(dev_project.run("seed"), "TM409")

    dev_project.write("seed.sql", "INSERT INTO users (email) VALUES ('one@example.com');\nINSERT INTO users (emial) VALUES ('two@example.com');\n")
    failed = dev_project.run("seed")
    assert_refused(failed, "TM410")
    assert "seed.sql:2" in failed.stderr
    assert dev_project.sql("SELECT count(*) FROM users") == [(0,)]
    # A duplicate key comes with no position from PostgreSQL: the line is found all the same.
    dev_project.write("seed.sql", "INSERT INTO users (email) VALUES ('one@example.com');\n\nINSERT INTO users (email) VALUES ('one@example.com');\n")
    duplicate = dev_project.run("seed")
    assert_refused(duplicate, "TM410")
    assert "seed.sql:3" in duplicate.stderr and "duplicate key" in duplicate.stderr
    assert dev_project.sql("SELECT count(*) FROM users") == [(0,)]

    dev_project.write("seed.sql", "INSERT INTO users (email) VALUES ('one@example.com');\nINSERT INTO users (email) VALUES ('two@example.com');\n")
    dev_project.ok("seed")
    assert dev_project.sql("SELECT count(*) FROM users") == [(2,)]


def test_seed_shell_command_gets_database_url(dev_project: Project) -> None:
    dev_project.write("schema.sql", SCHEMA_V1)
    dev_project.ok("dev", "--name", "users")
    from teamigrate.server.cluster import embedded_bin_dir

    psql = str(embedded_bin_dir() / "psql")
    config = dev_project.root / "teamigrate.yaml"
    text = config.read_text().replace("# seed: seed.sql", f"seed: {psql} \"$DATABASE_URL\" -q -c \"INSERT INTO users (email) VALUES ('cmd@example.com')\"", 1)
    config.write_text(text)
    dev_project.ok("seed")
    assert dev_project.sql("SELECT email FROM users") == [("cmd@example.com",)]

    config.write_text(text.replace("seed: ", "seed: false && ", 1))
    assert_refused(dev_project.run("seed"), "TM411")


def test_reset_asks_on_a_terminal(dev_project: Project) -> None:
    from tests.commands.conftest import run_on_a_terminal

    dev_project.write("schema.sql", SCHEMA_V1)
    dev_project.ok("dev", "--name", "users")
    dev_project.sql("INSERT INTO users (email) VALUES ('keep@example.com')")
    code, _, terminal = run_on_a_terminal(dev_project, "reset", answer="n\n")
    assert code == 1 and "error[TM407]" in terminal and "Drop every schema" in terminal
    assert dev_project.sql("SELECT count(*) FROM users") == [(1,)]
    code, stdout, terminal = run_on_a_terminal(dev_project, "reset", answer="y\n")
    assert code == 0, terminal
    assert dev_project.sql("SELECT count(*) FROM users") == [(0,)]

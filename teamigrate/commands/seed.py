"""`teamigrate seed`: the config's `seed`, a .sql file run in one transaction or a shell command given DATABASE_URL."""

from __future__ import annotations

import os
import subprocess

import psycopg

from teamigrate import output
from teamigrate.config import Config
from teamigrate.database import connect, mask_url
from teamigrate.errors import TeamigrateError
from teamigrate.workspace.files import failing_line, sql_error
from teamigrate.workspace.project import development_database_url


def seed(config: Config, url: str | None = None) -> int:
    if not config.seed:
        raise TeamigrateError("TM408", "teamigrate.yaml configures no seed", "add `seed: seed.sql` (a file) or `seed: <shell command>` to teamigrate.yaml")
    run_seed(config, url or development_database_url(config))
    return 0


def run_seed(config: Config, url: str) -> None:
    assert config.seed
    path = config.seed_path
    if path is not None:
        try:
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise TeamigrateError("TM409", f"the seed file {config.seed} does not exist", "create it, or fix `seed:` in teamigrate.yaml") from None
        except UnicodeDecodeError:
            raise TeamigrateError("TM409", f"the seed file {config.seed} is not UTF-8 text", "save it as UTF-8") from None
        with connect(url) as conn:
            try:
                # One simple-protocol query runs as one transaction: the seed lands whole or not at all.
                conn.execute(text.encode())
            except psycopg.Error as exc:
                # PostgreSQL names no position for errors such as a duplicate key: find the statement.
                failure = sql_error(exc, config.seed, text, "TM410", failing_line(conn, text), conn=conn, in_shadow=False)
                if failure.code != "TM410":
                    raise failure from None
                raise TeamigrateError("TM410", failure.message, "fix the SQL at that line, then run `teamigrate seed`; nothing of the seed was kept") from None
        output.line(f"seeded {mask_url(url)} from {config.seed}")
        return
    command = config.seed
    result = subprocess.run(command, shell=True, cwd=config.root, env={**os.environ, "DATABASE_URL": url})
    if result.returncode != 0:
        raise TeamigrateError(
            "TM411",
            f"the seed command `{mask_url(command)}` exited with status {result.returncode}",
            "run it by hand with DATABASE_URL set to your database to see why",
        )
    output.line(f"seeded {mask_url(url)} with `{mask_url(command)}`")

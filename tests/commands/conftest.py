"""Fixtures for the commands: a project with a schema source, a team of clones around a bare remote, and how a refused command must look."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from teamigrate.history.apply import replay
from teamigrate.history.migrations import MigrationDirectory
from teamigrate.server.cluster import embedded_bin_dir
from tests.conftest import Project, git, run_cli
from tests.lint.conftest import MigrationWriter, lint_project, write_migration  # noqa: F401 - fixtures for test_lint
from tests.schema.pgdump_oracle import dump_schema, normalise

SCHEMA_V1 = """\
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE
);
"""


@pytest.fixture
def dev_project(project: Project) -> Project:
    """The `project` fixture plus `schema: schema.sql` (empty to start with)."""
    config = project.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace("# schema: schema.sql", "schema: schema.sql", 1))
    project.write("schema.sql", "-- the desired schema\n")
    return project


def assert_refused(result: subprocess.CompletedProcess[str], code: str) -> None:
    """Exit 1, exactly one `error[code]` line and a hint, no traceback."""
    assert result.returncode == 1, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error[")]
    assert len(errors) == 1 and errors[0].startswith(f"error[{code}]: "), result.stderr
    assert any(line.startswith("hint: ") for line in result.stderr.splitlines()), result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def folder_fingerprint(root: Path) -> str:
    """Every file under the migrations folder and schema.sql, with its bytes: equal before and after means nothing was written."""
    digest = hashlib.sha256()
    for path in sorted((root / "migrations").rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def schema_dump(url: str) -> list[str]:
    return normalise(dump_schema(url))


def migration_folders(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "migrations").iterdir() if p.is_dir())


def run_on_a_terminal(project: Project, *args: str, answer: str | None = None) -> tuple[int, str, str]:
    """Run teamigrate with stdin and stderr on a pseudo-terminal (as a developer's shell has them)."""
    primary, secondary = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "teamigrate", *args], cwd=project.root, stdin=secondary, stderr=secondary,
        stdout=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(secondary)
    if answer is not None:
        os.write(primary, answer.encode())
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(primary, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    stdout, _ = process.communicate(timeout=600)
    reader.join(timeout=10)
    os.close(primary)
    return process.returncode, stdout, b"".join(chunks).decode("utf-8", "replace")


HISTORY = "public.teamigrate_history"


class Developer(Project):
    """A clone of the team's remote, with its own database written into its teamigrate.yaml."""

    def add_migration(self, migration_id: str, sql: str, down: str | None = None, commit: bool = True) -> None:
        self.write(f"migrations/{migration_id}/migration.sql", sql)
        if down is not None:
            self.write(f"migrations/{migration_id}/down.sql", down)
        self.ok("hash")
        if commit:
            self.git("add", "migrations")
            self.git("commit", "-q", "--no-verify", "-m", f"migration {migration_id}")

    def try_git(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**_git_env(), **self.env}
        return subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True, env=env)

    def history(self) -> dict[str, tuple[str, str, datetime]]:
        """id -> (state, checksum, started_at)."""
        return {row[0]: (row[1], row[2], row[3]) for row in self.sql(f"SELECT id, state, checksum, started_at FROM {HISTORY} ORDER BY id")}

    def migration_ids(self) -> list[str]:
        return [m.id for m in MigrationDirectory(self.root / "migrations").migrations()]

    def schema_dump(self) -> list[str]:
        return team_schema_dump(self.database_url)


def _git_env() -> dict[str, str]:
    import os

    # `git rebase --continue` and `git commit` of a merge would open an editor.
    return {**os.environ, "GIT_EDITOR": "true"}


def team_schema_dump(url: str) -> list[str]:
    """The judge of "same schema": pg_dump, normalised, without the history table."""
    result = subprocess.run(
        [str(embedded_bin_dir() / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges", f"--exclude-table={HISTORY}", "--dbname", url],
        capture_output=True, text=True, check=True,
    )
    return normalise(result.stdout)


@pytest.fixture
def fresh_replay(make_database) -> Callable[[Developer], list[str]]:  # type: ignore[no-untyped-def]
    """The schema a fresh database gets from a clone's checked-out history."""

    def build(developer: Developer) -> list[str]:
        url = make_database()
        replay(url, MigrationDirectory(developer.root / "migrations").migrations())
        return schema_dump(url)

    return build


class Team:
    def __init__(self, base: Path, make_database: Callable[[], str]) -> None:
        self.base = base
        self.make_database = make_database
        self.remote = base / "remote.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.remote)], check=True)
        seed = base / "seed"
        seed.mkdir()
        git(seed, "init", "-q", "-b", "main")
        result = run_cli(["init"], seed)
        assert result.returncode == 0, result.stderr
        git(seed, "add", "-A")
        git(seed, "commit", "-q", "--no-verify", "-m", "teamigrate init")
        git(seed, "remote", "add", "origin", str(self.remote))
        git(seed, "push", "-q", "origin", "main")

    def developer(self, name: str) -> Developer:
        root = self.base / name
        git(self.base, "clone", "-q", str(self.remote), name)
        url = self.make_database()
        config = root / "teamigrate.yaml"
        config.write_text(config.read_text().replace("database_url: ${DATABASE_URL:-}", f"database_url: {url}", 1))
        # The database is this clone's own: git must neither commit nor merge it.
        git(root, "update-index", "--skip-worktree", "teamigrate.yaml")
        return Developer(root=root, database_url=url, env={"GIT_EDITOR": "true"})


@pytest.fixture
def team(tmp_path: Path, make_database) -> Team:  # type: ignore[no-untyped-def]
    return Team(tmp_path, make_database)

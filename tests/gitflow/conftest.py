"""A team in miniature: a bare remote and one clone per developer, each clone with its own fresh database."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from teamigrate.history.apply import replay
from teamigrate.history.migrations import MigrationDirectory
from teamigrate.shadow.cluster import embedded_bin_dir
from tests.conftest import Project, git, run_cli
from tests.schema.pgdump_oracle import normalise

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
        return schema_dump(self.database_url)


def _git_env() -> dict[str, str]:
    import os

    # `git rebase --continue` and `git commit` of a merge would open an editor.
    return {**os.environ, "GIT_EDITOR": "true"}


def schema_dump(url: str) -> list[str]:
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

"""Lint fixtures: migration folders on disk and a git repository holding a teamigrate project."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Project, git

MigrationWriter = Callable[..., Path]


@pytest.fixture
def write_migration(tmp_path: Path) -> MigrationWriter:
    """Write migrations/<id>/migration.sql (and down.sql unless down=None); returns the migration.sql path."""

    def write(sql: str, migration_id: str = "20261126093000_change", down: str | None = "SELECT 1;\n", root: Path = tmp_path) -> Path:
        folder = root / "migrations" / migration_id
        folder.mkdir(parents=True, exist_ok=True)
        if down is not None:
            (folder / "down.sql").write_text(down)
        path = folder / "migration.sql"
        path.write_text(sql)
        return path

    return write


@pytest.fixture
def lint_project(tmp_path: Path) -> Project:
    """A git repository with teamigrate.yaml and migrations/ on branch main; lint needs no database."""
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "teamigrate.yaml").write_text("migrations: migrations\nmain_branch: main\n")
    return Project(root=root, database_url="")

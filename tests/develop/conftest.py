"""Fixtures for the developer workflow: a project with a schema source, and how a refused command must look."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import Project
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

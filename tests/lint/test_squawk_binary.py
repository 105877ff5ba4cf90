"""A missing or broken squawk is a TM6xx error with a hint, never a traceback: real broken binaries, no mocks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from teamigrate.errors import TeamigrateError
from teamigrate.lint import lint_targets
from teamigrate.lint.squawk import ENV_SQUAWK, find_squawk
from teamigrate.lint.target import target_for_file
from tests.conftest import Project
from tests.lint.conftest import MigrationWriter


def script(folder: Path, body: str, executable: bool = True) -> Path:
    path = folder / "squawk"
    path.write_text(body)
    if executable:
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


BROKEN = {
    "missing": ("TM601", None),
    "not-executable": ("TM602", ("#!/bin/sh\necho '[]'\n", False)),
    "not-a-program": ("TM602", ("\x7fELF this is no program\n", True)),
    "crashes": ("TM602", ("#!/bin/sh\necho \"thread 'main' panicked at src/main.rs\" >&2\nexit 101\n", True)),
    "killed": ("TM602", ("#!/bin/sh\nkill -SEGV $$\n", True)),
    "prints-text": ("TM603", ("#!/bin/sh\necho 'migration.sql:1:0: warning: something'\nexit 1\n", True)),
    "prints-other-json": ("TM603", ("#!/bin/sh\necho '{\"violations\": 3}'\nexit 1\n", True)),
    "json-without-fields": ("TM603", ("#!/bin/sh\necho '[{\"file\": \"x\"}]'\nexit 1\n", True)),
}


def broken_binary(kind: str, folder: Path) -> Path:
    spec = BROKEN[kind][1]
    if spec is None:
        return folder / "no-such-squawk"
    body, executable = spec
    return script(folder, body, executable)


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_squawk_is_a_clear_error(kind: str, tmp_path: Path, write_migration: MigrationWriter, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_migration("DROP TABLE IF EXISTS t;\n")
    monkeypatch.setenv(ENV_SQUAWK, str(broken_binary(kind, tmp_path)))
    with pytest.raises(TeamigrateError) as caught:
        lint_targets([target_for_file(path)])
    assert caught.value.code == BROKEN[kind][0]
    assert "pip install squawk-cli" in caught.value.hint


@pytest.mark.parametrize("kind", ["missing", "crashes", "prints-text"])
def test_broken_squawk_on_the_command_line(kind: str, lint_project: Project) -> None:
    lint_project.write("migrations/20261126093000_drop/migration.sql", "DROP TABLE IF EXISTS t;\n")
    result = lint_project.run("lint", "--all", env={ENV_SQUAWK: str(broken_binary(kind, lint_project.root.parent))})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"error[{BROKEN[kind][0]}]: ")
    assert lines[1].startswith("hint: pip install squawk-cli")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_squawk_is_found_next_to_the_interpreter_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_SQUAWK, raising=False)
    decoy = script(tmp_path, "#!/bin/sh\nexit 3\n")
    monkeypatch.setenv("PATH", f"{decoy.parent}{os.pathsep}{os.environ['PATH']}")
    import sys

    assert find_squawk() == Path(sys.executable).parent / "squawk"


def test_no_squawk_anywhere_is_tm601(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_SQUAWK, raising=False)
    monkeypatch.setattr("sys.executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TeamigrateError) as caught:
        find_squawk()
    assert caught.value.code == "TM601"

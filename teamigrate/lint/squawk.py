"""squawk, the PostgreSQL migration linter, run as one subprocess per group of files with JSON output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teamigrate.errors import TeamigrateError
from teamigrate.lint.diagnostics import Diagnostic, Level

ENV_SQUAWK = "TEAMIGRATE_SQUAWK"
INSTALL_HINT = "pip install squawk-cli (in teamigrate's environment), or point TEAMIGRATE_SQUAWK at a squawk binary"
_TIMEOUT_SECONDS = 300
_LEVELS: dict[str, Level] = {"error": "error", "warning": "warning", "info": "info", "hint": "info"}


@dataclass(frozen=True)
class SquawkRun:
    """One squawk invocation: the files that share a transaction mode."""

    files: tuple[Path, ...]
    in_transaction: bool


def find_squawk() -> Path:
    explicit = os.environ.get(ENV_SQUAWK)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise TeamigrateError("TM601", f"{ENV_SQUAWK} names {path}, which does not exist", INSTALL_HINT)
        return path
    # The wheel installs squawk next to the interpreter; prefer it to whatever PATH holds.
    beside = Path(sys.executable).parent / "squawk"
    if beside.is_file():
        return beside
    found = shutil.which("squawk")
    if found is None:
        raise TeamigrateError("TM601", "the squawk linter is not installed", INSTALL_HINT)
    return Path(found)


def run_squawk(runs: Sequence[SquawkRun], cwd: Path, exclude: Sequence[str] = (), include: Sequence[str] = ()) -> list[Diagnostic]:
    """Lint every file with as few squawk processes as there are transaction modes, run side by side."""
    runs = [run for run in runs if run.files]
    if not runs:
        return []
    binary = find_squawk()
    options = ["--reporter", "json", "--no-error-on-unmatched-pattern"]
    if exclude:
        options.append("--exclude=" + ",".join(sorted(set(exclude))))
    if include:
        options.append("--include=" + ",".join(sorted(set(include))))
    processes: list[tuple[SquawkRun, subprocess.Popen[str]]] = []
    try:
        for run in runs:
            mode = "--assume-in-transaction" if run.in_transaction else "--no-assume-in-transaction"
            command = [str(binary), *options, mode, *(str(path) for path in run.files)]
            try:
                process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            except OSError as exc:
                raise TeamigrateError("TM602", f"squawk at {binary} cannot run: {exc.strerror or exc}", INSTALL_HINT) from None
            processes.append((run, process))
        diagnostics: list[Diagnostic] = []
        for run, process in processes:
            try:
                stdout, stderr = process.communicate(timeout=_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                raise TeamigrateError("TM602", f"squawk at {binary} did not finish within {_TIMEOUT_SECONDS} s", INSTALL_HINT) from None
            diagnostics.extend(_read_report(binary, process.returncode, stdout, stderr, run.files))
        return diagnostics
    finally:
        for _, process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def _read_report(binary: Path, returncode: int, stdout: str, stderr: str, files: Sequence[Path]) -> list[Diagnostic]:
    # squawk exits 0 when clean, 1 when it found something, 2 on a usage error.
    if returncode not in (0, 1):
        problem = _first_line(stderr) or f"exit code {returncode}"
        if "invalid rule name" in stderr:
            raise TeamigrateError("TM606", f"squawk does not know a rule named in lint settings: {problem}", "check the spelling in lint.disable / lint.levels (squawk's rules: https://squawkhq.com/docs/rules)")
        crashed = f"was killed by signal {-returncode}" if returncode < 0 else f"failed ({problem})"
        raise TeamigrateError("TM602", f"squawk at {binary} {crashed}", INSTALL_HINT)
    try:
        report = json.loads(stdout) if stdout.strip() else []
        if not isinstance(report, list):
            raise ValueError("not a list")
        by_name = {str(path): path for path in files}
        return [_diagnostic(entry, by_name) for entry in report]
    except (ValueError, KeyError, TypeError) as exc:
        shown = _first_line(stdout) or _first_line(stderr) or "nothing"
        raise TeamigrateError("TM603", f"squawk at {binary} printed something other than its JSON report ({exc}): {shown[:120]}", INSTALL_HINT) from None


def _diagnostic(entry: Any, by_name: dict[str, Path]) -> Diagnostic:
    if not isinstance(entry, dict):
        raise TypeError(f"unexpected entry {entry!r}")
    name = str(entry["file"])
    help_text = entry.get("help") or ""
    return Diagnostic(
        path=by_name.get(name, Path(name)),
        # squawk counts lines and columns from 0; editors and compilers from 1.
        line=int(entry["line"]) + 1,
        column=int(entry["column"]) + 1,
        rule=f"squawk:{entry['rule_name']}",
        level=_LEVELS.get(str(entry.get("level", "")).lower(), "warning"),
        message=str(entry["message"]),
        help=str(help_text),
    )


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip().removeprefix("error: ").strip()
    return ""

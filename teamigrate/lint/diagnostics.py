"""A lint finding, and how it is shown: compiler-style lines for people, JSON for machines."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal


Level = Literal["error", "warning", "info"]
LEVELS: tuple[Level, ...] = ("error", "warning", "info")


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: Path
    line: int  # 1-based
    column: int  # 1-based
    rule: str  # `squawk:<rule>` or `teamigrate:<rule>`
    level: Level
    message: str
    help: str = ""

    @property
    def rule_name(self) -> str:
        return self.rule.split(":", 1)[1]

    def shown_path(self) -> str:
        return display_path(self.path)

    def render(self) -> str:
        head = f"{self.shown_path()}:{self.line}:{self.column}: {self.level}[{self.rule}] {self.message}"
        return f"{head}\n  help: {self.help}" if self.help else head

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.shown_path(),
            "line": self.line,
            "column": self.column,
            "rule": self.rule,
            "level": self.level,
            "message": self.message,
            "help": self.help,
        }


def display_path(path: Path) -> str:
    # Relative to where the user stands, so editors and terminals can open it.
    try:
        return os.path.relpath(path) if path.is_absolute() and Path.cwd() in path.parents else str(path)
    except (OSError, ValueError):
        return str(path)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.level == "error" for d in diagnostics)


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    counts = {level: sum(1 for d in diagnostics if d.level == level) for level in LEVELS}
    parts = [f"{n} {level}{'' if n == 1 else 's'}" for level, n in counts.items() if n]
    total = len(diagnostics)
    return f"{total} finding{'' if total == 1 else 's'}: {', '.join(parts)}" if total else "no findings"

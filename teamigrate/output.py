"""The only place that prints: plain lines and rich tables for people, JSON for machines."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from teamigrate.errors import TeamigrateError

# Results go to stdout (so `diff > file.sql` and `status --json | jq` work);
# progress, notes and errors go to stderr.
_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def count(number: int, noun: str) -> str:
    """`1 migration`, `2 migrations`."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def line(text: str = "") -> None:
    _out.print(text, markup=False)


def raw(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def note(text: str) -> None:
    _err.print(text, markup=False)


def warn(text: str) -> None:
    _err.print(f"warning: {text}", markup=False, style="yellow")


def error(err: TeamigrateError) -> None:
    _err.print(str(err), markup=False, style="bold red")
    if err.hint:
        _err.print(f"hint: {err.hint}", markup=False)


def json_document(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")
    sys.stdout.flush()


def table(columns: Sequence[str], rows: Iterable[Sequence[str]], title: str | None = None) -> None:
    grid = Table(title=title, show_edge=False, header_style="bold")
    for column in columns:
        grid.add_column(column)
    for row in rows:
        grid.add_row(*row)
    _out.print(grid)


class ProgressReporter:
    """A bar on stderr when it is a terminal and the job is long; nothing otherwise."""

    def __init__(self, progress: Progress | None, task: Any) -> None:
        self._progress = progress
        self._task = task

    def advance(self, description: str | None = None) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=description or "")


@contextmanager
def progress(label: str, total: int, threshold: int = 10) -> Iterator[ProgressReporter]:
    if total < threshold or not _err.is_terminal:
        yield ProgressReporter(None, None)
        return
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=_err,
        transient=True,
    )
    with bar:
        yield ProgressReporter(bar, bar.add_task("", total=total))

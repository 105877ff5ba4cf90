"""The only place that prints: plain lines and rich tables for people, JSON for machines."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

from teamigrate.database import mask_url
from teamigrate.errors import TeamigrateError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

# Results go to stdout (so `diff > file.sql` and `status --json | jq` work);
# progress, notes and errors go to stderr. Plain lines are written directly:
# rich is imported only for colour on a terminal, tables and progress bars
# (it costs the pre-commit hook's `check` 35 ms otherwise).
#
# Every write is flushed before the function returns, whichever path wrote it
# (plain, rich, JSON): where stdout and stderr share one pipe (a hook's output,
# a CI log, `2>&1 | cat`) lines then arrive in the order they were written,
# not stdout's block-buffered lines after all of stderr's.


@cache
def _console(stderr: bool) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _write(stream: Any, text: str) -> None:
    stream.write(text + "\n")
    stream.flush()


def _styled(text: str, style: str) -> None:
    if sys.stderr.isatty():
        _console(True).print(text, markup=False, emoji=False, style=style)
        sys.stderr.flush()  # rich flushes its own writes today; the order should not rest on that
    else:
        _write(sys.stderr, text)


def count(number: int, noun: str) -> str:
    """`1 migration`, `2 migrations`."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def line(text: str = "") -> None:
    _write(sys.stdout, text)


def raw(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def note(text: str) -> None:
    _write(sys.stderr, text)


def warn(text: str) -> None:
    _styled(f"warning: {text}", "yellow")


def error(err: TeamigrateError) -> None:
    # Messages quote DSNs and PostgreSQL's words: masked here too, whoever built them.
    _styled(mask_url(str(err)), "bold red")
    if err.hint:
        note(f"hint: {mask_url(err.hint)}")


def json_document(value: Any) -> None:
    import json  # only for --json

    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")
    sys.stdout.flush()


def table(columns: Sequence[str], rows: Iterable[Sequence[str]], title: str | None = None) -> None:
    """A table on stdout whose first column (an id people copy into `resolve` or `rollback`) is never cut or wrapped."""
    from rich.measure import Measurement
    from rich.table import Table

    rows = [tuple(row) for row in rows]
    grid = Table(title=title, show_edge=False, header_style="bold")
    keys = [columns[0], *(row[0] for row in rows)]
    grid.add_column(columns[0], no_wrap=True, min_width=max(len(key) for key in keys))
    for column in columns[1:]:
        grid.add_column(column)
    for row in rows:
        grid.add_row(*row)
    console = _console(False)
    # rich fits a table to the console's width (80 columns in a pipe) by cutting
    # cells short. Wider is better than cut: in a pipe (logs, grep) every row
    # stays on one line; on a terminal the other columns fold first, and only an
    # id longer than the screen makes the table wider than it.
    needed = Measurement.get(console, console.options.update_width(1 << 16), grid)
    wanted = needed.minimum if console.is_terminal else needed.maximum
    if wanted > console.width:
        # print(width=…) only narrows; a console of the width wanted widens.
        from rich.console import Console

        console = Console(highlight=False, soft_wrap=True, width=wanted)
    console.print(grid)
    sys.stdout.flush()


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
    if total < threshold or not sys.stderr.isatty():
        yield ProgressReporter(None, None)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=_console(True),
        transient=True,
    )
    with bar:
        yield ProgressReporter(bar, bar.add_task("", total=total))
    # The bar redirects stdout and stderr while it runs; what it passed on is flushed before the next line.
    sys.stderr.flush()
    sys.stdout.flush()


# --- questions: asked only when stdin and stderr are terminals, never in scripts or CI


def can_ask() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def ask_text(question: str) -> str:
    import typer

    answer: str = typer.prompt(question, err=True)
    return answer.strip()


def confirm(question: str) -> bool:
    import typer

    return bool(typer.confirm(question, default=False, err=True))

"""Questions to the developer: asked only when stdin and stderr are terminals, never in scripts or CI."""

from __future__ import annotations

import sys

import typer


def can_ask() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def ask_text(question: str) -> str:
    answer: str = typer.prompt(question, err=True)
    return answer.strip()


def confirm(question: str) -> bool:
    return bool(typer.confirm(question, default=False, err=True))

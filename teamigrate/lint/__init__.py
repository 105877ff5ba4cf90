"""Lint migration SQL: squawk's PostgreSQL rules plus teamigrate's team rules, as diagnostics."""

from __future__ import annotations

from teamigrate.lint.diagnostics import Diagnostic, has_errors, print_diagnostics
from teamigrate.lint.linter import lint_migrations, lint_targets

__all__ = ["Diagnostic", "has_errors", "lint_migrations", "lint_targets", "print_diagnostics"]

"""Lint migration SQL: squawk's PostgreSQL rules plus teamigrate's team rules, as diagnostics.

Rule codes are `squawk:<rule>` and `teamigrate:<rule>` (rules.RULES lists
teamigrate's, with their default levels). teamigrate.yaml's `lint.disable` and
`lint.levels` (error, warning, info, off) take codes with or without the
prefix; naming one of squawk's opt-in rules in `lint.levels` turns it on. A
`-- teamigrate: allow <rule>[, <rule>…]` comment anywhere in a migration is a
reviewed exception for the whole file. squawk reads a project's `.squawk.toml`
as usual; TEAMIGRATE_SQUAWK points at another squawk binary.
"""

from __future__ import annotations

from teamigrate.lint.diagnostics import Diagnostic, has_errors
from teamigrate.lint.linter import lint_migrations, lint_targets

__all__ = ["Diagnostic", "has_errors", "lint_migrations", "lint_targets"]

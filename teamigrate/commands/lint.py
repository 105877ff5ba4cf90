"""The `lint` verb: select migrations, lint them, print compiler-style diagnostics or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from teamigrate import output
from teamigrate.config import Config, LintConfig, load_config
from teamigrate.errors import TeamigrateError
from teamigrate.lint.diagnostics import Diagnostic, has_errors, summary
from teamigrate.lint.linter import lint_project_targets, lint_targets
from teamigrate.lint.selection import Selection, select_targets, targets_for_paths


def lint_command(paths: Sequence[Path], all_migrations: bool = False, as_json: bool = False, config_path: Path | None = None) -> int:
    config, selection = _select(paths, all_migrations, config_path)
    if config is None:
        diagnostics = lint_targets(selection.targets, LintConfig(), Path.cwd())
    else:
        diagnostics = lint_project_targets(config, selection.targets)
    print_diagnostics(diagnostics, as_json=as_json)
    if not selection.targets:
        output.note(f"nothing to lint: no {selection.scope} (`teamigrate lint --all` lints every migration)")
    else:
        count = len(selection.targets)
        output.note(f"linted {count} file{'' if count == 1 else 's'}: {summary(diagnostics)}")
    if has_errors(diagnostics):
        errors = sum(1 for d in diagnostics if d.level == "error")
        raise TeamigrateError(
            "TM605",
            f"lint found {errors} error-level finding{'' if errors == 1 else 's'}",
            "fix them, or after review allow one with `-- teamigrate: allow <rule>` in the migration",
        )
    return 0


def _select(paths: Sequence[Path], all_migrations: bool, config_path: Path | None) -> tuple[Config | None, Selection]:
    try:
        config = load_config(explicit=config_path)
    except TeamigrateError as err:
        # Explicit files can be linted outside a project, with default settings.
        if err.code == "TM101" and paths and config_path is None:
            return None, Selection(tuple(targets_for_paths(paths)), "the given paths")
        raise
    return config, select_targets(config, paths, all_migrations)


def print_diagnostics(diagnostics: Sequence[Diagnostic], as_json: bool = False) -> None:
    if as_json:
        output.json_document([d.as_json() for d in diagnostics])
        return
    for diagnostic in diagnostics:
        output.line(diagnostic.render())

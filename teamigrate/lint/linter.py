"""Lint migrations: squawk's findings and teamigrate's own, filtered by the project's lint settings."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from teamigrate.config import Config, LintConfig
from teamigrate.history.migrations import Migration
from teamigrate.lint.branches import RULE as BRANCH_RULE
from teamigrate.lint.branches import BranchMigration, check_drop_used_on_branch, open_branch_migrations
from teamigrate.lint.diagnostics import Diagnostic
from teamigrate.lint.lock_context import DeployTimeouts, weigh_by_locks
from teamigrate.lint.lock_levels import LockWalk
from teamigrate.lint.policy import RulePolicy, allowed_rules
from teamigrate.lint.rules import PREFIX, check_target
from teamigrate.lint.selection import targets_for_paths
from teamigrate.lint.squawk import SquawkRun, run_squawk
from teamigrate.lint.target import LintTarget, target_for_migration


def lint_migrations(config: Config, migrations_or_paths: Iterable[Migration | Path]) -> list[Diagnostic]:
    """For `check`, `new` and `dev`: lint these migrations (models or files/folders) with the project's settings."""
    targets: list[LintTarget] = []
    paths: list[Path] = []
    for item in migrations_or_paths:
        if isinstance(item, Migration):
            targets.append(target_for_migration(config.migrations, item))
        else:
            paths.append(item)
    targets.extend(targets_for_paths(paths))
    return lint_project_targets(config, targets)


def lint_project_targets(config: Config, targets: Sequence[LintTarget]) -> list[Diagnostic]:
    """Lint with the project's settings and, for drop-used-on-branch, its other open branches."""
    disabled = RulePolicy.from_config(config.lint).disabled
    branches = [] if PREFIX + BRANCH_RULE in disabled else open_branch_migrations(config, targets)
    timeouts = DeployTimeouts.from_settings(config.deploy.lock_timeout, config.deploy.statement_timeout)
    return lint_targets(targets, config.lint, config.root, branches, timeouts)


def lint_targets(
    targets: Sequence[LintTarget],
    settings: LintConfig = LintConfig(),
    cwd: Path | None = None,
    branches: Sequence[BranchMigration] = (),
    timeouts: DeployTimeouts | None = None,
) -> list[Diagnostic]:
    """squawk's findings and teamigrate's; with `timeouts` (a project's deploy settings) weighed by lock_context."""
    policy = RulePolicy.from_config(settings)
    with tempfile.TemporaryDirectory(prefix="teamigrate-lint-") as scratch:
        on_disk = _files_for_squawk(targets, Path(scratch))
        runs = [
            SquawkRun(tuple(on_disk[t.path] for t in targets if t.transactional), in_transaction=True),
            SquawkRun(tuple(on_disk[t.path] for t in targets if not t.transactional), in_transaction=False),
        ]
        found = run_squawk(runs, cwd or Path.cwd(), exclude=policy.squawk_exclude(), include=policy.squawk_include())
    back = {file: path for path, file in on_disk.items()}
    by_path: dict[Path, list[Diagnostic]] = {t.path: [] for t in targets}
    for diagnostic in found:
        path = back.get(diagnostic.path, diagnostic.path)
        by_path.setdefault(path, []).append(dataclasses.replace(diagnostic, path=path))
    diagnostics: list[Diagnostic] = []
    walk = LockWalk()
    for target in sorted(targets, key=lambda t: str(t.path)):  # id order, for the walk's NOT NULL checks
        findings = by_path.get(target.path, []) + check_target(target) + list(check_drop_used_on_branch(target, branches))
        if timeouts is not None:
            findings = weigh_by_locks(target, findings, timeouts, walk)
        diagnostics.extend(policy.apply(findings, allowed_rules(target.sql)))
    return sorted(set(diagnostics))


def _files_for_squawk(targets: Sequence[LintTarget], scratch: Path) -> dict[Path, Path]:
    """The file squawk reads for each target: the target's own file, or a copy when the text is not on disk as linted."""
    files: dict[Path, Path] = {}
    for index, target in enumerate(targets):
        if _on_disk(target):
            files[target.path] = target.path
        else:
            copy = scratch / str(index) / target.path.name
            copy.parent.mkdir()
            copy.write_text(target.sql, encoding="utf-8")
            files[target.path] = copy
    return files


def _on_disk(target: LintTarget) -> bool:
    try:
        return target.path.read_text(encoding="utf-8") == target.sql
    except (OSError, UnicodeDecodeError):
        return False

"""Which SQL `lint` looks at: explicit paths, every migration, or the migrations new on this branch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from teamigrate.config import Config
from teamigrate.errors import TeamigrateError
from teamigrate.history.migrations import MIGRATION_FILE, MigrationDirectory
from teamigrate.lint.target import LintTarget, target_for_file, target_for_migration


@dataclass(frozen=True)
class Selection:
    targets: tuple[LintTarget, ...]
    scope: str  # what was selected, for the "nothing to lint" note


def select_targets(config: Config, paths: Sequence[Path] = (), all_migrations: bool = False) -> Selection:
    if paths:
        return Selection(tuple(targets_for_paths(paths)), "the given paths")
    if not all_migrations:
        branch = branch_targets(config)
        if branch is not None:
            return branch
    return Selection(tuple(all_targets(config)), f"{config.migrations.name}/")


def all_targets(config: Config) -> list[LintTarget]:
    directory = MigrationDirectory(config.migrations, _label(config.migrations), root=config.root)
    return [target_for_migration(config.migrations, migration) for migration in directory.migrations()]


def branch_targets(config: Config) -> Selection | None:
    """Migrations added or changed since the merge base with main_branch; None when there is nothing to compare with."""
    from teamigrate.git import GitRepository

    repository = GitRepository.find(config.root)
    if repository is None:
        return None
    # One git process for the three: main_branch, or its remote-tracking branch in a checkout that has only that.
    local, remote, head = repository.resolve_all(config.main_branch, f"origin/{config.main_branch}", "HEAD")
    main = local or remote
    if head is None or main is None:
        return None
    base = repository.merge_base(head, main)
    if base is None:
        return None
    folder = repository.relative(config.migrations)
    changed_ids = {
        Path(name).relative_to(folder).parts[0]
        for name in repository.paths_changed_since(base, folder)
        if len(Path(name).relative_to(folder).parts) == 2
    }
    if not changed_ids:
        return Selection((), f"migrations new on this branch (compared with {config.main_branch})")
    directory = MigrationDirectory(config.migrations, _label(config.migrations), root=config.root)
    targets = [
        target_for_migration(config.migrations, migration)
        for migration in directory.migrations()
        if migration.id in changed_ids
    ]
    return Selection(tuple(targets), f"migrations new on this branch (compared with {config.main_branch})")


def targets_for_paths(paths: Sequence[Path]) -> list[LintTarget]:
    targets: list[LintTarget] = []
    for given in paths:
        path = given.absolute()
        if path.is_file():
            targets.append(_read_target(path, given))
        elif (path / MIGRATION_FILE).is_file():
            targets.append(_read_target(path / MIGRATION_FILE, given))
        elif path.is_dir() and any((child / MIGRATION_FILE).is_file() for child in path.iterdir()):
            # A migrations folder: every migration in it.
            targets.extend(_read_target(child / MIGRATION_FILE, given) for child in sorted(path.iterdir()) if (child / MIGRATION_FILE).is_file())
        else:
            what = "does not exist" if not path.exists() else f"is a folder without {MIGRATION_FILE} or migration folders"
            raise TeamigrateError("TM604", f"{given} {what}", "pass .sql files, migration folders or the migrations folder")
    return targets


def _read_target(path: Path, given: Path) -> LintTarget:
    try:
        return target_for_file(path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = "is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else (exc.strerror or str(exc))
        raise TeamigrateError("TM604", f"{given}: cannot read {path.name}: {reason}", "pass readable UTF-8 .sql files") from None


def _label(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)

"""`hooks install` / `hooks uninstall`: teamigrate's git hooks, installed the way pre-commit installs its own."""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from teamigrate import output
from teamigrate.config import find_config
from teamigrate.errors import TeamigrateError
from teamigrate.git import GitRepository

HOOK_NAMES = ("pre-commit", "post-merge", "post-checkout", "post-rewrite")
# The line by which teamigrate recognises a hook file as its own.
MARKER = "# teamigrate-hook:"
_PYTHON_PLACEHOLDER = "__TEAMIGRATE_PYTHON__"
_CONFIG_PLACEHOLDER = "__TEAMIGRATE_CONFIG__"


@dataclass(frozen=True)
class HookFolder:
    path: Path
    # core.hooksPath, when the repository sets one.
    configured: str | None


def hook_template(name: str) -> str:
    # The scripts live in the top-level hooks/ folder; the package ships copies
    # so that an installed (not editable) teamigrate has them too.
    return (resources.files("teamigrate") / "templates" / f"hook-{name}").read_text(encoding="utf-8")


def render_hook(name: str, python: str, config: str = "") -> str:
    """The hook script; `config` is teamigrate.yaml's path from the top of the work tree when it is in a subfolder."""
    return hook_template(name).replace(_PYTHON_PLACEHOLDER, shlex.quote(python)).replace(_CONFIG_PLACEHOLDER, shlex.quote(config))


def is_teamigrate_hook(path: Path) -> bool:
    try:
        return MARKER in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def hook_folder(repository: GitRepository) -> HookFolder:
    return HookFolder(repository.git_path("hooks"), repository.config_value("core.hooksPath"))


def install_hooks(start: Path, force: bool = False) -> int:
    repository = GitRepository(start)
    folder = hook_folder(repository)
    if folder.configured and not force:
        raise TeamigrateError(
            "TM502",
            f"git config core.hooksPath is set ({folder.configured}): git runs the hooks there, not teamigrate's",
            "let the tool that set it run teamigrate (see .pre-commit-hooks.yaml), "
            "or `git config --unset core.hooksPath`, or `teamigrate hooks install --force` to install into that folder",
        )
    config = _project_config(repository, start)
    targets = [folder.path / name for name in HOOK_NAMES]
    for target in targets:
        legacy = _legacy(target)
        if target.exists() and not is_teamigrate_hook(target) and legacy.exists():
            raise TeamigrateError(
                "TM503",
                f"{target} is not teamigrate's and {legacy.name} exists too: there is no place to keep it",
                f"merge {target.name} into {legacy.name} (or remove one of them), then run `teamigrate hooks install` again",
            )
    folder.path.mkdir(parents=True, exist_ok=True)
    for target in targets:
        if target.exists() and not is_teamigrate_hook(target):
            target.replace(_legacy(target))
            output.line(f"kept your {target.name} hook as {target.name}.legacy (it still runs first)")
        _write_executable(target, render_hook(target.name, sys.executable, config))
        output.line(f"installed {target}")
    if config:
        output.line(f"the hooks run teamigrate with {config} (the project is in a subfolder)")
    from teamigrate.daemon.control import daemon_status

    if not daemon_status().running:
        output.note("tip: `teamigrate daemon start` keeps teamigrate loaded, so that the pre-commit check starts at once")
    return 0


def _project_config(repository: GitRepository, start: Path) -> str:
    """teamigrate.yaml as a path from the top of the work tree, when the project is in a subfolder; "" otherwise."""
    try:
        path = find_config(start)
        folder = repository.relative(path.parent)
    except TeamigrateError:
        return ""  # no project yet, or one outside this work tree: the hooks look from the top
    return "" if folder == "." else f"{folder}/{path.name}"


def uninstall_hooks(start: Path) -> int:
    folder = hook_folder(GitRepository(start))
    for name in HOOK_NAMES:
        target = folder.path / name
        legacy = _legacy(target)
        if target.exists() and not is_teamigrate_hook(target):
            output.note(f"left {target} alone: it is not teamigrate's")
            continue
        if target.exists():
            target.unlink()
            output.line(f"removed {target}")
        if legacy.exists():
            legacy.replace(target)
            output.line(f"restored {target} from {legacy.name}")
    return 0


def _legacy(target: Path) -> Path:
    return target.with_name(f"{target.name}.legacy")


def _write_executable(target: Path, text: str) -> None:
    # Via a temporary file and a rename: git never sees half a hook.
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o755)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

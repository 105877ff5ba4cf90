"""All git access goes through here: GitPython with a clean environment, failures as TeamigrateErrors."""

from __future__ import annotations

import os
from pathlib import Path

import git

from teamigrate.errors import TeamigrateError

# Variables a hook inherits from the git process that runs it; they would point
# GitPython at the wrong repository or index (pre-commit's git.py does the same).
_MISLEADING = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY")


def clean_environment(keep_index: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    for name in _MISLEADING:
        if keep_index and name == "GIT_INDEX_FILE":
            continue
        env.pop(name, None)
    return env


class GitRepository:
    """One working tree and its repository."""

    def __init__(self, path: Path) -> None:
        try:
            self.repo = git.Repo(path, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            raise TeamigrateError("TM500", f"{path} is not inside a git repository", "run `git init`, or run teamigrate in your repository") from None
        self.repo.git.update_environment(**{k: None for k in _MISLEADING if k in os.environ})  # type: ignore[arg-type]
        root = self.repo.working_tree_dir
        self.root = Path(root) if root else Path(path)

    @classmethod
    def find(cls, path: Path) -> GitRepository | None:
        try:
            return cls(path)
        except TeamigrateError:
            return None

    def run(self, *args: str) -> str:
        try:
            return str(self.repo.git.execute(["git", *args]))
        except git.GitCommandError as exc:
            stderr = (exc.stderr or "").strip().removeprefix("stderr:").strip(" '")
            raise TeamigrateError("TM501", f"git {' '.join(args)}: {stderr or exc}", "fix the repository state git complains about, then run again") from None

    def head_commit(self) -> str | None:
        try:
            return self.repo.head.commit.hexsha
        except ValueError:  # no commit yet
            return None


def head_commit(path: Path) -> str | None:
    """The checked-out commit of the repository holding `path`; None outside git or before the first commit."""
    repository = GitRepository.find(path)
    return repository.head_commit() if repository else None

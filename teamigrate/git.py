"""All git access goes through here: git with a clean environment, failures as TeamigrateErrors.

Plain `git` subprocesses, no git library: every question teamigrate asks is
one git command (or one `cat-file --batch` for many files), and not importing
a library keeps the pre-commit hook's `check` fast.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from teamigrate.errors import TeamigrateError

# Variables a hook inherits from the git process that runs it; they would point
# our git commands at the wrong repository or index (pre-commit's git.py drops
# them too).
_MISLEADING = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY")


def clean_environment(keep_index: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    for name in _MISLEADING:
        if keep_index and name == "GIT_INDEX_FILE":
            continue
        env.pop(name, None)
    return env


@dataclass(frozen=True)
class Integration:
    """A merge or rebase stopped on a conflict, seen from this branch.

    In a rebase git's "ours" is the upstream being rebased onto and "theirs" is
    this branch's commit being replayed, the reverse of a merge: `other` and
    `branch` name the two sides by what they are, whichever operation it is.
    """

    kind: Literal["merge", "rebase"]
    other: str
    branch: str


class GitRepository:
    """One working tree and its repository."""

    def __init__(self, path: Path) -> None:
        not_a_repository = TeamigrateError("TM500", f"{path} is not inside a git repository", "run `git init`, or run teamigrate in your repository")
        if not Path(path).is_dir():
            raise not_a_repository
        try:
            found = subprocess.run(["git", "rev-parse", "--absolute-git-dir", "--show-toplevel"], cwd=path,
                                   env=clean_environment(), capture_output=True)
        except FileNotFoundError:
            raise TeamigrateError("TM500", "git is not installed", "install git, or run teamigrate where git is on PATH") from None
        lines = found.stdout.decode(errors="replace").splitlines()
        if not lines:
            raise not_a_repository
        self.git_dir = Path(lines[0])
        # A bare repository has no work tree: git prints the git directory and then fails.
        self.root = Path(lines[1]) if found.returncode == 0 and len(lines) > 1 else Path(path)

    @classmethod
    def find(cls, path: Path) -> GitRepository | None:
        try:
            return cls(path)
        except TeamigrateError:
            return None

    def _environment(self, keep_index: bool) -> dict[str, str]:
        env = clean_environment(keep_index=keep_index)
        index = env.get("GIT_INDEX_FILE")
        if index and not os.path.isabs(index):
            env["GIT_INDEX_FILE"] = str(self.root / index)
        return env

    def _git(self, args: tuple[str, ...], keep_index: bool, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        # A plain subprocess rather than GitPython's execute: that one copies
        # os.environ and cannot drop the variables a hook inherits.
        return subprocess.run(["git", *args], cwd=self.root, env=self._environment(keep_index), capture_output=True, input=input)

    def run(self, *args: str, keep_index: bool = False) -> str:
        result = self._git(args, keep_index)
        if result.returncode != 0:
            stderr = result.stderr.decode(errors="replace").strip()
            raise TeamigrateError("TM501", f"git {' '.join(args)}: {stderr or f'exit {result.returncode}'}", "fix the repository state git complains about, then run again")
        return result.stdout.decode(errors="replace").rstrip("\n")

    def attempt(self, *args: str, keep_index: bool = False) -> bytes | None:
        """git's output, or None when git exits non-zero (for questions whose "no" is an exit code)."""
        result = self._git(args, keep_index)
        return result.stdout if result.returncode == 0 else None

    def head_commit(self) -> str | None:
        """HEAD's commit; None before the first commit."""
        return self.resolve("HEAD")

    def relative(self, path: Path) -> str:
        """`path` as git names it: relative to the top of the work tree, with forward slashes."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            raise TeamigrateError("TM500", f"{path} is outside the git work tree {self.root}", "keep teamigrate.yaml and migrations/ inside the repository") from None

    def resolve(self, ref: str) -> str | None:
        """The commit `ref` names, or None when it names none."""
        found = self.attempt("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        return found.decode().strip() if found else None

    def resolve_all(self, *refs: str) -> list[str | None]:
        """`resolve` of each ref, in one git process; a ref that names no commit is None and leaves the others alone."""
        # `rev-parse --verify` takes one ref; without it a missing ref fails the
        # whole command. cat-file answers each line on its own ("<line> missing").
        asked = [ref for ref in refs if ref and "\n" not in ref]
        result = self._git(("cat-file", "--batch-check"), keep_index=False, input="".join(f"{ref}^{{commit}}\n" for ref in asked).encode()) if asked else None
        answers = result.stdout.decode(errors="replace").splitlines() if result is not None and result.returncode == 0 else []
        commits: dict[str, str] = {}
        for ref, answer in zip(asked, answers):
            words = answer.split()
            if len(words) == 3 and words[1] == "commit":
                commits[ref] = words[0]
        return [commits.get(ref) for ref in refs]

    def merge_base(self, a: str, b: str) -> str | None:
        found = self.attempt("merge-base", a, b)  # exit 1: unrelated histories
        return found.decode().strip() if found else None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return self.attempt("merge-base", "--is-ancestor", ancestor, descendant) is not None  # exit 1: it is not

    def folders_at(self, ref: str, folder: str) -> list[str]:
        """Names of the folders directly inside `folder` as committed at `ref` (the work tree is not touched)."""
        listing = self.run("ls-tree", "-d", "--name-only", ref, "--", folder.rstrip("/") + "/")
        return sorted(Path(entry).name for entry in listing.splitlines() if entry)

    def file_at(self, ref: str, path: str) -> bytes | None:
        """A file's bytes at `ref`; `ref` "" reads the index being committed. None when it is not there."""
        # In a pre-commit hook GIT_INDEX_FILE names the index that `git commit -a`
        # or `git commit PATH` is about to commit: that one is "staged" there.
        return self.attempt("cat-file", "blob", f"{ref}:{path}", keep_index=ref == "")

    def staged_paths(self, folder: str) -> list[str]:
        """Paths under `folder` in the index being committed (see file_at)."""
        listing = self.run("ls-files", "--", folder.rstrip("/") + "/", keep_index=True)
        return sorted(set(listing.splitlines()))

    def unmerged_paths(self) -> list[str]:
        return sorted(set(self.run("diff", "--name-only", "--diff-filter=U").splitlines()))

    def is_tracked(self, path: str) -> bool:
        return bool(self.run("ls-files", "--", path).strip())

    def move(self, old: str, new: str) -> None:
        self.run("mv", "--", old, new)

    def stage(self, *paths: str) -> None:
        self.run("add", "--", *paths)

    def config_value(self, key: str) -> str | None:
        found = self.attempt("config", "--get", key)  # exit 1: not set
        return found.decode().strip() if found else None

    def git_path(self, name: str) -> Path:
        """A path inside the git directory as git resolves it (worktrees and core.hooksPath included)."""
        path = Path(self.run("rev-parse", "--git-path", name))
        return path if path.is_absolute() else self.root / path

    def integration(self) -> Integration | None:
        """The merge or rebase in progress, if any."""
        git_dir = self.git_dir
        merge_head = git_dir / "MERGE_HEAD"
        if merge_head.is_file():
            return Integration("merge", other=merge_head.read_text().split()[0], branch="HEAD")
        for state in ("rebase-merge", "rebase-apply"):
            folder = git_dir / state
            if (folder / "onto").is_file() and (folder / "orig-head").is_file():
                onto = (folder / "onto").read_text().strip()
                orig_head = (folder / "orig-head").read_text().strip()
                return Integration("rebase", other=onto, branch=orig_head)
        return None

    # --- read-only queries for lint (teamigrate/lint/) ---------------------------

    def paths_changed_since(self, commit: str, folder: str) -> list[str]:
        """Files under `folder` that differ from `commit` in the work tree: committed since, staged, unstaged or untracked."""
        pathspec = folder.rstrip("/") + "/"
        # --no-renames: a migration moved by a rebase counts as new on this branch.
        changed = self.run("diff", "--name-only", "--no-renames", "-z", commit, "--", pathspec)
        untracked = self.run("ls-files", "--others", "--exclude-standard", "-z", "--", pathspec)
        return sorted({name for name in (changed + "\0" + untracked).split("\0") if name})

    def branches(self, merged_into: str | None = None) -> list[tuple[str, str, bool, str | None]]:
        """(name, commit, is remote-tracking, upstream) of every branch, symbolic refs left out; only those `merged_into` holds, when given."""
        merged = ("--merged", merged_into) if merged_into else ()
        listing = self.run("for-each-ref", *merged, "--format=%(refname)%00%(refname:short)%00%(objectname)%00%(symref)%00%(upstream:short)",
                           "refs/heads", "refs/remotes")
        found = []
        for line in listing.splitlines():
            full, name, commit, symref, upstream = (line.split("\0") + ["", "", "", ""])[:5]
            if name and commit and not symref:
                found.append((name, commit, full.startswith("refs/remotes/"), upstream or None))
        return found

    def branch_tips(self) -> dict[str, str]:
        """Every local and remote-tracking branch (symbolic refs like origin/HEAD left out) -> its commit."""
        listing = self.run("for-each-ref", "--format=%(refname:short)%00%(objectname)%00%(symref)", "refs/heads", "refs/remotes")
        tips: dict[str, str] = {}
        for line in listing.splitlines():
            name, commit, symref = (line.split("\0") + ["", ""])[:3]
            if name and commit and not symref:
                tips[name] = commit
        return tips

    # --- bulk reads for check and schema sources (lead) -------------------------

    def blob_ids(self, ref: str, folder: str) -> dict[str, str]:
        """The object id of every file below `folder` at `ref` ("" = the index), keyed by path relative to `folder`.

        One process, and no file read: compare an id with `blob_id(data)` to
        know whether a file still holds those bytes.
        """
        return self.blob_ids_at([ref], folder)[0]

    def blob_ids_at(self, refs: Sequence[str], folder: str) -> list[dict[str, str]]:
        """`blob_ids` of each ref, the git processes run side by side."""
        prefix = folder.rstrip("/") + "/"
        started = []
        for ref in refs:
            args = ("ls-files", "-s", "-z", "--", prefix) if ref == "" else ("ls-tree", "-r", "-z", ref, "--", prefix)
            process = subprocess.Popen(["git", *args], cwd=self.root, env=self._environment(keep_index=ref == ""),
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            started.append((args, process))
        listings = []
        for args, process in started:
            stdout, stderr = process.communicate()
            if process.returncode != 0:
                message = stderr.decode(errors="replace").strip() or f"exit {process.returncode}"
                raise TeamigrateError("TM501", f"git {' '.join(args)}: {message}", "fix the repository state git complains about, then run again")
            listings.append(_listing(stdout.decode(errors="replace"), prefix, index=args[0] == "ls-files"))
        return listings

    def read_folder(self, ref: str, folder: str) -> dict[str, bytes]:
        """Every file below `folder` at `ref` ("" = the index), keyed by path relative to `folder`.

        One `ls-tree`/`ls-files` and one `cat-file --batch`, however many files:
        a history of hundreds of migrations is read in two processes.
        """
        entries = list(self.blob_ids(ref, folder).items())
        if not entries:
            return {}
        env = clean_environment()
        batch = subprocess.run(["git", "cat-file", "--batch"], cwd=self.root, env=env, capture_output=True,
                               input="".join(f"{sha}\n" for _, sha in entries).encode())
        if batch.returncode != 0:
            raise TeamigrateError("TM501", f"git cat-file: {batch.stderr.decode(errors='replace').strip()}", "check the repository with `git fsck`")
        files: dict[str, bytes] = {}
        data, offset = batch.stdout, 0
        for path, _ in entries:
            header_end = data.index(b"\n", offset)
            size = int(data[offset:header_end].split()[2])
            files[path] = data[header_end + 1 : header_end + 1 + size]
            offset = header_end + 1 + size + 1
        return files


def _listing(text: str, prefix: str, index: bool) -> dict[str, str]:
    """Path below `prefix` -> object id, from `ls-files -s -z` (stage-0 entries) or `ls-tree -r -z` (blobs)."""
    ids: dict[str, str] = {}
    for line in text.split("\0"):
        if not line:
            continue
        info, path = line.split("\t", 1)
        words = info.split()
        if index and words[2] == "0":
            ids[path[len(prefix):]] = words[1]
        elif not index and words[1] == "blob":
            ids[path[len(prefix):]] = words[2]
    return ids


def blob_id(data: bytes, like: str) -> str:
    """The object id git gives a blob holding `data`, in the object format of `like`, an id from the same repository."""
    # 64 hex digits: a repository made with `git init --object-format=sha256`.
    algorithm = hashlib.sha256 if len(like) == 64 else hashlib.sha1
    return algorithm(b"blob %d\0" % len(data) + data).hexdigest()


def head_commit(path: Path) -> str | None:
    """The checked-out commit of the repository holding `path`; None outside git or before the first commit."""
    return head_commit_later(path)()


def head_commit_later(path: Path) -> Callable[[], str | None]:
    """head_commit(path), asked now and answered when the returned function is called: one git process,
    which runs while the caller goes on (deploy reads its migrations meanwhile)."""
    try:
        process = subprocess.Popen(["git", "rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cwd=path, env=clean_environment(),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:  # no git, or no such folder
        return lambda: None

    def answer() -> str | None:
        found = process.communicate()[0].decode(errors="replace").strip()
        return found if process.returncode == 0 and found else None

    return answer

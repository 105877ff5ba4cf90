"""Which ref stands for main_branch in this clone (asked of git, decided by planners.mainline), for check, rebase and changes."""

from __future__ import annotations

from dataclasses import dataclass

from teamigrate.git import GitRepository
from teamigrate.planners.mainline import main_ref

REMOTE = "origin"


@dataclass(frozen=True)
class MainBranch:
    ref: str | None  # main_branch or origin/<main_branch>; None when neither names a commit
    commit: str | None
    # main_branch's other name (the one not chosen): the same branch, left out of branch pairs.
    other_names: tuple[str, ...]


def find_main(repository: GitRepository, main_branch: str) -> tuple[MainBranch, str | None]:
    """The main branch and HEAD's commit; one git process, and a second only when the local and remote-tracking main differ."""
    tracking = f"{REMOTE}/{main_branch}"
    local, remote, head = repository.resolve_all(main_branch, tracking, "HEAD")
    holds = local is not None and remote is not None and local != remote and repository.is_ancestor(remote, local)
    ref = main_ref(main_branch, local, remote, holds, REMOTE)
    commit = local if ref == main_branch else remote if ref == tracking else None
    return MainBranch(ref, commit, tuple(name for name in (main_branch, tracking) if name != ref)), head

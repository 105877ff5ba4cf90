"""Pure: which pairs of branches `changes --all-branches` compares."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Branch:
    name: str  # as git shortens it: `feat-x`, `origin/feat-x`
    commit: str
    remote: bool  # a remote-tracking branch
    upstream: str | None = None  # the remote-tracking branch a local one tracks


def branch_pairs(branches: Sequence[Branch], main: str, left_out: Collection[str], merged: Collection[str]) -> list[tuple[str, str]]:
    """`main` against every branch that may still bring migrations, then each pair of those.

    `left_out`: names that are the main branch under another name (the local one
    when the remote-tracking one is ahead, and the other way round). `merged`:
    branches whose tip `main` already holds; they bring nothing of their own.
    """
    candidates = [b for b in branches if b.name != main and b.name not in left_out and b.name not in merged]
    # A branch and the remote-tracking branch it follows are one branch: compared with
    # each other they show only what is not pushed yet. At one commit they are kept once.
    tracking = _tracking_pairs(candidates)
    by_name = {b.name: b for b in candidates}
    duplicates = {remote for local, remote in tracking if by_name[local].commit == by_name[remote].commit}
    names = sorted(b.name for b in candidates if b.name not in duplicates)
    pairs = [(main, name) for name in names]
    same_branch = {frozenset(pair) for pair in tracking}
    pairs += [(a, b) for index, a in enumerate(names) for b in names[index + 1:] if frozenset((a, b)) not in same_branch]
    return pairs


def _tracking_pairs(branches: Sequence[Branch]) -> set[tuple[str, str]]:
    """(local, remote-tracking) for each local branch and the one it follows."""
    names = {b.name for b in branches}
    found: set[tuple[str, str]] = set()
    for branch in branches:
        if branch.remote:
            continue
        # The configured upstream, else the same name on a remote (a branch pushed without -u).
        followed = [branch.upstream] if branch.upstream else [other.name for other in branches if other.remote and other.name.split("/", 1)[-1] == branch.name]
        found.update((branch.name, remote) for remote in followed if remote in names)
    return found


def pairs_with(head: str, head_commit: str, branches: Sequence[Branch], main: str, left_out: Collection[str], merged: Collection[str]) -> list[tuple[str, str]]:
    """`main` against `head` (a pull request's branch), then `head` against every other branch that may still bring migrations.

    A branch at head's commit is head under another name (the PR's
    remote-tracking branch in a CI checkout); like head's own tracking branch it is left out.
    """
    others = {name for pair in branch_pairs(branches, main, left_out, merged) for name in pair if name != main}
    same = {remote for local, remote in _tracking_pairs(branches) if local == head} | {local for local, remote in _tracking_pairs(branches) if remote == head}
    by_name = {b.name: b for b in branches}
    return [(main, head)] + [(head, name) for name in sorted(others) if name != head and name not in same and by_name[name].commit != head_commit]

"""Pure: which ref stands for the main branch, which migrations are already on it, and which are new and misordered here.

`check`, `rebase`, `sync` and `changes` all ask these questions; one answer
keeps them from disagreeing (a `rebase` that says "ready" and a `check` that
then says "misordered").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


def main_ref(main_branch: str, local: str | None, remote: str | None, local_holds_remote: bool, remote_name: str = "origin") -> str | None:
    """The ref whose migrations count as "on main": the remote-tracking branch, unless the local branch holds it.

    `local` and `remote` are the commits of `main_branch` and `<remote_name>/<main_branch>`
    (None when absent); `local_holds_remote` says the remote commit is an ancestor of the local one.
    """
    tracking = f"{remote_name}/{main_branch}"
    if remote is None:
        return main_branch if local is not None else None
    if local is None:
        return tracking
    # Equal or ahead (a merge not pushed yet): the local branch has everything the
    # remote has; it keeps the name people type. Behind (after `git fetch`) or
    # diverged (a `git pull` on main with commits of one's own): what the remote
    # holds may be deployed already, so it is the one whose ids must not change.
    return main_branch if local == remote or local_holds_remote else tracking


@dataclass(frozen=True)
class MainLine:
    """A history seen against the main branch."""

    # On the main branch and kept by this history (the ones a squash here replaces are gone on purpose).
    on_main: frozenset[str]
    # New on this branch, in order: neither on main nor a squash of migrations that are.
    new: tuple[str, ...]
    # Squashes here whose replaced migrations are all on main: they sit where their range sat.
    settled_squashes: tuple[str, ...]
    # Squashes here that replace migrations not on main as well (a database at main applied only part of them).
    partial_squashes: tuple[str, ...]

    @property
    def newest_on_main(self) -> str | None:
        # A squash of main's migrations stands where its range stood: it counts as on main here.
        return max((*self.on_main, *self.settled_squashes), default=None)

    @property
    def misordered(self) -> tuple[str, ...]:
        """New migrations that sort before a migration already on main: a database at main would run them out of order."""
        newest = self.newest_on_main
        return tuple(i for i in self.new if newest is not None and i < newest)


def main_line(history: Mapping[str, tuple[str, ...]], main_ids: Iterable[str]) -> MainLine:
    """`history`: every migration id here -> the ids it replaces (empty unless a squash); `main_ids`: the ids on main."""
    on_main_ever = frozenset(main_ids)
    replaced = {old for olds in history.values() for old in olds}
    settled_squashes, partial_squashes, new = [], [], []
    for migration_id in sorted(history):
        olds = history[migration_id]
        if migration_id in on_main_ever:
            continue
        if olds and all(old in on_main_ever for old in olds):
            # Deploy counts it as applied wherever its range is: it is main's history in one piece, not a new step.
            settled_squashes.append(migration_id)
            continue
        if olds and any(old in on_main_ever for old in olds):
            partial_squashes.append(migration_id)
        new.append(migration_id)
    return MainLine(on_main_ever - replaced, tuple(new), tuple(settled_squashes), tuple(partial_squashes))

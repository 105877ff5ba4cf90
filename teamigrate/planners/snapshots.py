"""Per-branch snapshots of the developer's database, as plain values: how a state is named, which snapshot a switch restores, which ones go.

A state is the applied history: a chain over each migration's id and the
sha256 of its migration.sql (teamigrate.sum's chain, over the checksum the
history table keeps rather than the bytes, so the database's own rows name it
after the files left the checkout).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

PREFIX = "tmsnap_"


def state_chain(migrations: Sequence[tuple[str, str]]) -> list[str]:
    """Hex state after each prefix of `(id, checksum)` pairs, in order."""
    chain: list[str] = []
    previous = b""
    for migration_id, checksum in migrations:
        previous = hashlib.sha256(previous + migration_id.encode("utf-8") + checksum.encode("ascii")).digest()
        chain.append(previous.hex())
    return chain


def project_key(database_name: str) -> str:
    """Snapshots belong to the database they copy (one per project and server)."""
    return hashlib.sha256(database_name.encode("utf-8")).hexdigest()[:8]


def snapshot_name(project: str, branch: str, state: str) -> str:
    """One snapshot per branch and state: 7 + 8 + 1 + 40 bytes, within PostgreSQL's 63."""
    key = hashlib.sha256(branch.encode("utf-8") + b"\0" + state.encode("ascii")).hexdigest()
    return f"{PREFIX}{project}_{key[:40]}"


@dataclass(frozen=True)
class Snapshot:
    name: str
    branch: str
    state: str  # hex, the last of state_chain
    migrations: int  # how many migrations the state holds
    last_migration: str  # its newest, for people
    created: float  # epoch seconds
    used: float  # last taken or restored: least recently used goes first
    size: int = 0  # bytes

    def comment(self) -> str:
        """The database comment that carries everything but the size."""
        return json.dumps({"teamigrate_snapshot": 1, "branch": self.branch, "state": self.state, "migrations": self.migrations,
                           "last_migration": self.last_migration, "created": round(self.created, 3), "used": round(self.used, 3)},
                          sort_keys=True)

    def touched(self, when: float) -> Snapshot:
        return Snapshot(self.name, self.branch, self.state, self.migrations, self.last_migration, self.created, when, self.size)


def parse_snapshot(name: str, comment: str | None, size: int) -> Snapshot | None:
    """A snapshot from its database's name and comment; None for a database that is not one (or whose comment was lost)."""
    try:
        data = json.loads(comment or "")
        return Snapshot(name, str(data["branch"]), str(data["state"]), int(data["migrations"]), str(data["last_migration"]),
                        float(data["created"]), float(data["used"]), size)
    except (ValueError, KeyError, TypeError):
        return None


def snapshot_to_restore(snapshots: Sequence[Snapshot], branch: str | None, checkout_chain: Sequence[str], kept: int, rolls_back: bool) -> Snapshot | None:
    """The branch's snapshot with the longest prefix of the checked-out history, when it gives more than the database keeps.

    `kept`: how many checked-out migrations the database already holds in
    order; `rolls_back`: whether sync would undo some. Only the branch's own
    snapshots: another branch's data at the same schema is not this branch's.
    """
    if branch is None:
        return None
    position = {state: index + 1 for index, state in enumerate(checkout_chain)}
    mine = [s for s in snapshots if s.branch == branch and s.state in position]
    if not mine:
        return None
    best = max(mine, key=lambda s: (position[s.state], s.used))
    reach = position[best.state]
    if reach > kept or (reach == kept and rolls_back):
        return best
    return None


def evictions(snapshots: Sequence[Snapshot], keep: int, max_bytes: int | None, protect: str | None = None) -> list[Snapshot]:
    """Least recently used first, until at most `keep` remain and they hold at most `max_bytes` together.

    `protect` (the snapshot just taken, maybe the developer's database itself) never goes: `sync` takes none larger than `max_bytes`.
    """
    remaining = sorted((s for s in snapshots if s.name != protect), key=lambda s: s.used)
    kept = len(snapshots) - len(remaining)
    total = sum(s.size for s in snapshots)
    dropped: list[Snapshot] = []
    while remaining and (len(remaining) + kept > keep or (max_bytes is not None and total > max_bytes)):
        gone = remaining.pop(0)
        total -= gone.size
        dropped.append(gone)
    return dropped

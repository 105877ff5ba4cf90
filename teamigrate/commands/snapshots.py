"""Per-branch snapshots of the developer's database: kept and restored by `sync` across branch switches, listed and dropped by `teamigrate snapshots`."""

from __future__ import annotations

import json
import time
from contextlib import closing
from collections.abc import Sequence
from pathlib import Path

import psycopg

from teamigrate import output
from teamigrate.config import Config
from teamigrate.database import display_dsn, nonlocal_endpoints
from teamigrate.errors import ServerError, TeamigrateError
from teamigrate.git import GitRepository
from teamigrate.planners.snapshots import PREFIX, Snapshot, evictions, parse_snapshot, project_key, snapshot_name, snapshot_to_restore, state_chain
from teamigrate.server.copies import DatabaseCopies
from teamigrate.workspace.project import development_database_url

# Which branch the database's state was synced on: `sync` names the snapshot it keeps on the way out by it.
_RECORD = "teamigrate/database-branches.json"


class SnapshotStore:
    """The snapshots of one database, on its server."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.copies = DatabaseCopies(url)
        self.project = project_key(self.copies.database)

    @property
    def prefix(self) -> str:
        return f"{PREFIX}{self.project}_"

    def snapshots(self) -> list[Snapshot]:
        found = (parse_snapshot(name, comment, size) for name, comment, size in self.copies.listed(self.prefix))
        return sorted((s for s in found if s is not None), key=lambda s: s.used, reverse=True)

    def close(self) -> None:
        self.copies.close()

    def evict(self, keep: int, max_bytes: int | None, protect: str | None = None) -> None:
        for snapshot in evictions(self.snapshots(), keep, max_bytes, protect):
            try:
                self.copies.drop(snapshot.name)
            except (psycopg.Error, ServerError):
                continue  # the server would not drop it now; next time
            output.line(f"dropped snapshot  {snapshot.branch} at {snapshot.last_migration} ({_size(snapshot.size)}; least recently used, over snapshots.keep or snapshots.max_size)")


def before_switch(
    config: Config,
    url: str,
    repository: GitRepository | None,
    applied: Sequence[tuple[str, str]],
    checkout: Sequence[tuple[str, str]],
    kept: int,
    rolls_back: bool,
    force: bool = False,
    can_roll_back: bool = True,
) -> None:
    """Keep a snapshot of the database before `sync` rolls back a branch's migrations; restore this branch's when one fits.

    `applied` and `checkout`: (id, checksum) in order; `kept`: how many
    checked-out migrations the database holds in order. Never raises for a
    snapshot that cannot be made: it says why and `sync` takes the down-and-up path.
    `can_roll_back` False: sync will refuse (TM507) unless a snapshot is restored; then nothing is kept either.
    """
    if config.snapshots.keep == 0 or repository is None:
        return
    fallback = "rolling back with the stored down SQL instead (data in what it drops is lost)" if rolls_back else "applying this branch's migrations instead"
    remote = nonlocal_endpoints(url)
    if remote and not force:
        if rolls_back:
            output.note(f"no snapshot kept: {display_dsn(url)} connects to {' and '.join(remote)}, which may not be this machine (pass --force to keep snapshots there); {fallback}")
        return
    branch = current_branch(repository)
    store = SnapshotStore(url)
    try:
        restore = snapshot_to_restore(store.snapshots(), branch, state_chain(checkout), kept, rolls_back)
        if restore is None and not (rolls_back and can_roll_back):
            return
        sessions = store.copies.sessions()
        if sessions:
            held = ", ".join(f"{app} (pid {pid}{', ' + user if user else ''})" for pid, app, user in sessions)
            output.note(f"no snapshot of {store.copies.database}: other sessions are connected to it: {held}; {fallback}")
            return
        size = store.copies.size()
        if config.snapshots.max_size is not None and size > config.snapshots.max_size:
            output.note(f"no snapshot of {store.copies.database}: it holds {_size(size)}, more than snapshots.max_size ({_size(config.snapshots.max_size)}); {fallback}")
            return
        state = state_chain(applied)[-1] if applied else ""
        leaving = leaving_branch(repository, store.copies.database, state) or "(unknown branch)"
        now = time.time()
        keep = Snapshot(snapshot_name(store.project, leaving, state), leaving, state, len(applied), applied[-1][0] if applied else "(no migrations)", now, now)
        if restore is not None:
            store.copies.replace_with(restore.name, keep.name, keep.comment())
            store.copies.set_comment(restore.name, restore.touched(now).comment())
            output.line(f"snapshot  kept {leaving} at {keep.last_migration} as {keep.name}")
            output.line(f"restored  {branch}'s snapshot at {restore.last_migration} (taken {_age(now - restore.created)} ago; not replayed)")
        else:
            store.copies.copy(keep.name, keep.comment())  # replaces an older one of the same branch and state
            output.line(f"snapshot  kept {leaving} at {keep.last_migration} as {keep.name} (`teamigrate snapshots` lists them)")
        store.evict(config.snapshots.keep, config.snapshots.max_size, protect=keep.name)
    except psycopg.errors.ObjectInUse as exc:
        output.note(f"no snapshot: {_first_line(exc)} (a session connected meanwhile); {fallback}")
    except ServerError as exc:  # refused to create or drop a database: a role without CREATEDB, a full disk
        output.note(f"no snapshot: {exc.message}; {fallback}")
    except psycopg.Error as exc:
        output.note(f"no snapshot: {_first_line(exc)}; {fallback}")
    finally:
        store.close()


def current_branch(repository: GitRepository) -> str | None:
    found = repository.attempt("symbolic-ref", "--short", "-q", "HEAD")
    return found.decode().strip() or None if found else None


def leaving_branch(repository: GitRepository, database: str, state: str) -> str | None:
    """The branch the database's state was last synced on; else the branch checked out before this one."""
    recorded = _read_record(repository.git_path(_RECORD)).get(database)
    if isinstance(recorded, dict) and recorded.get("state") == state and isinstance(recorded.get("branch"), str):
        return str(recorded["branch"])
    previous = repository.attempt("rev-parse", "--abbrev-ref", "@{-1}")
    return previous.decode().strip() or None if previous else None


def record_branch(config: Config, repository: GitRepository | None, url: str, applied: Sequence[tuple[str, str]]) -> None:
    """After a sync: the database's state belongs to the branch checked out now."""
    if repository is None or config.snapshots.keep == 0:
        return
    branch = current_branch(repository)
    if branch is None:
        return
    try:
        database = DatabaseCopies(url).database
        path = repository.git_path(_RECORD)
        record = _read_record(path)
        record[database] = {"branch": branch, "state": state_chain(applied)[-1] if applied else ""}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    except (OSError, TeamigrateError):
        pass  # only a label for the next snapshot: `@{-1}` stands in


def _read_record(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def list_snapshots(config: Config, force: bool = False) -> int:
    with closing(_store(config, force)) as store:
        return _list(config, store)


def _list(config: Config, store: SnapshotStore) -> int:
    snapshots = store.snapshots()
    if not snapshots:
        output.line(f"no snapshots of {store.copies.database} (`sync` keeps one when it rolls back a branch's migrations)")
        return 0
    now = time.time()
    output.table(
        ("name", "branch", "migration", "state", "size", "age", "last used"),
        [(s.name, s.branch, s.last_migration, s.state[:12], _size(s.size), _age(now - s.created), _age(now - s.used) + " ago") for s in snapshots],
        title=f"snapshots of {store.copies.database} (snapshots.keep: {config.snapshots.keep}, max_size: {_size(config.snapshots.max_size) if config.snapshots.max_size is not None else 'none'})",
    )
    return 0


def drop_snapshots(config: Config, name: str | None, every: bool, force: bool = False) -> int:
    if (name is None) == (not every):
        raise TeamigrateError("TM432", "`snapshots drop` needs one snapshot's name or --all", "`teamigrate snapshots` lists their names")
    with closing(_store(config, force)) as store:
        return _drop(store, name, every)


def _drop(store: SnapshotStore, name: str | None, every: bool) -> int:
    snapshots = store.snapshots()
    chosen = snapshots if every else [s for s in snapshots if s.name == name]
    if every and not chosen:
        output.line(f"no snapshots of {store.copies.database}: nothing to drop")
        return 0
    if not chosen:
        raise TeamigrateError("TM431", f"no snapshot named {name} of {store.copies.database}", "`teamigrate snapshots` lists their names; nothing was dropped")
    for snapshot in chosen:
        store.copies.drop(snapshot.name)
        output.line(f"dropped snapshot  {snapshot.name} ({snapshot.branch} at {snapshot.last_migration}, {_size(snapshot.size)})")
    return 0


def _store(config: Config, force: bool) -> SnapshotStore:
    url = development_database_url(config, create=False)
    remote = nonlocal_endpoints(url)
    if remote and not force:
        raise TeamigrateError(
            "TM430",
            f"snapshots live on the server of {display_dsn(url)}, and it connects to {' and '.join(remote)}, which may not be this machine",
            "point database_url at your local database (a Unix socket, localhost or 127.0.0.1); pass --force only if you mean that server",
        )
    return SnapshotStore(url)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _size(size: float) -> str:
    for unit in ("B", "kB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"

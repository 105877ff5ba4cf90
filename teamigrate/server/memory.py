"""A tablespace in memory (a tmpfs folder) for the shadow's databases that hold nothing between transactions.

Loading a schema file into a database is mostly the server creating (and, at the
rollback, removing) two or three files per table: 0.6 ms each on a virtual
disk, 0.1 ms in memory, so a 300-object schema.sql loads in 50 ms instead of
75-300 ms (#17: `check` after a hand-written migration waited on this). Only
where teamigrate runs the server itself on this machine (the embedded or a
bin-folder cluster) and a tmpfs with room is there; the folder is made again
when it went (a reboot empties tmpfs) and folders of clusters that are gone are
removed. What lives here must be something that can be dropped and made again.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from teamigrate.server.shadow import ShadowServer

TABLESPACE = "teamigrate_memory"
ENV_MEMORY = "TEAMIGRATE_MEMORY_TABLESPACE"  # "0": every database on disk
# tmpfs is shared with the rest of the machine (64 MB in a default Docker container): leave it alone below this.
MIN_FREE = 256 << 20
TMPFS = Path("/dev/shm")


def memory_tablespace(shadow: ShadowServer, needs: int = 0) -> str | None:
    """The tablespace's name, made (or made again) when needed; None: keep to disk (not our server, no tmpfs, not
    `needs` bytes free beyond MIN_FREE)."""
    folder = _folder(shadow, needs)
    if folder is None:
        return None
    if _usable(shadow):
        return TABLESPACE
    try:
        folder.parent.mkdir(mode=0o700, exist_ok=True)
        info = folder.parent.lstat()  # a name others can predict: not a symbolic link, ours, closed to others
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None
        with open(folder.parent / f"{folder.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another command may be making it right now
            if _usable(shadow):
                return TABLESPACE
            forget(shadow)  # its folder went (a reboot): what was in it is gone, and the catalog must say so
            _make(shadow, folder)
    except Exception:  # noqa: BLE001 (psycopg's errors, an OSError): a tablespace is an optimisation only
        return None
    return TABLESPACE


def forget(shadow: ShadowServer) -> None:
    """Drop the databases in the tablespace and the tablespace itself (it, or its folder, is gone or going)."""
    admin = shadow.admin()
    names = admin.execute(
        "SELECT d.datname FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE t.spcname = %s", (TABLESPACE,),
    ).fetchall()
    for (name,) in names:
        shadow.drop_database(name)
    admin.execute(f"DROP TABLESPACE IF EXISTS {TABLESPACE}")


def _folder(shadow: ShadowServer, needs: int = 0) -> Path | None:
    cluster = shadow.cluster
    if cluster is None or os.environ.get(ENV_MEMORY) == "0" or not sys.platform.startswith("linux"):
        return None
    try:
        if shutil.disk_usage(TMPFS).free < MIN_FREE + needs:
            return None
    except OSError:
        return None
    data_dir = os.path.realpath(cluster.data_dir)
    return TMPFS / f"teamigrate-{os.getuid()}" / hashlib.sha256(data_dir.encode()).hexdigest()[:16]


def _usable(shadow: ShadowServer) -> bool:
    """The tablespace is there and so is its folder's content (PostgreSQL's version folder)."""
    row = shadow.admin().execute("SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = %s", (TABLESPACE,)).fetchone()
    return row is not None and Path(row[0]).is_dir() and any(Path(row[0]).iterdir())


def _make(shadow: ShadowServer, folder: Path) -> None:
    parent = folder.parent
    _remove_orphans(parent)
    # PostgreSQL wants it empty: what is left is a rebuilt server's old tablespace, which no catalog names any more.
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700)
    assert shadow.cluster is not None
    (parent / f"{folder.name}.owner").write_text(os.path.realpath(shadow.cluster.data_dir))
    shadow.admin().execute(f"CREATE TABLESPACE {TABLESPACE} LOCATION '{folder}'")


def _remove_orphans(parent: Path) -> None:
    """The folders of servers whose data folder is gone (a test session's, a removed TEAMIGRATE_HOME): memory is scarce."""
    for owner in parent.glob("*.owner"):
        try:
            data_dir = owner.read_text().strip()
        except OSError:
            continue
        if not Path(data_dir).is_dir():
            shutil.rmtree(parent / owner.stem, ignore_errors=True)
            (parent / f"{owner.stem}.lock").unlink(missing_ok=True)
            owner.unlink(missing_ok=True)

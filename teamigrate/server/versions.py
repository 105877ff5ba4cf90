"""Which PostgreSQL a database runs, and which bin folder on this machine runs the same major version (for a matching shadow)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from teamigrate.database import connect
from teamigrate.server.extensions import installed_bin_folders, major_version

_TOOLS = ("postgres", "pg_ctl", "initdb")


def server_major(url: str) -> int:
    """The major version of the server behind `url` (15 for 15.8)."""
    with connect(url) as conn:
        return conn.info.server_version // 10000


def bin_folder_for(major: int, preferred: Sequence[Path | None] = ()) -> Path | None:
    """A bin folder that runs PostgreSQL `major`: one of `preferred` (the configured pg_bin, shadow_pg_bin, the embedded
    build), else one installed where distributions put them (/usr/lib/postgresql/N/bin, …), else PATH's postgres."""
    on_path = shutil.which("postgres")
    candidates = [*(folder for folder in preferred if folder is not None), *installed_bin_folders(), *([Path(on_path).parent] if on_path else [])]
    for folder in candidates:
        if all((folder / tool).is_file() for tool in _TOOLS) and major_version(folder) == major:
            return folder
    return None

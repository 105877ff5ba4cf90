"""The schema store (introspected schemas kept between commands) and its keys, without psycopg or the model imported.

`check` asks it, and loads its schema files ahead (read_ahead.py), before psycopg's
import is done: nothing here imports either until a stored schema is read.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from teamigrate import __version__
from teamigrate.server.cluster import teamigrate_home

if TYPE_CHECKING:
    from teamigrate.schema.model import Schema

STORE_LIMIT = 64
# Schema files are loaded here, in transactions that are always rolled back.
EMPTY_DATABASE = "teamigrate_empty"


class SchemaStore:
    """Introspected schemas as pickle files, least recently used dropped past `limit`.

    It lives in teamigrate's own folder (TEAMIGRATE_HOME), never in the
    project: a pickle from a repository would run its author's code.
    """

    def __init__(self, folder: Path | None = None, limit: int = STORE_LIMIT) -> None:
        self.folder = folder if folder is not None else teamigrate_home() / "schemas"
        self.limit = limit

    def get(self, key: str) -> Schema | None:
        path = self.folder / f"{key}.pickle"
        try:
            with path.open("rb") as file:
                fields = pickle.load(file)
            os.utime(path)
            # The model's mappings are read-only views, which pickle cannot hold: stored as dicts, viewed again.
            viewed: dict[str, Any] = {name: MappingProxyType(value) if isinstance(value, dict) else value for name, value in fields.items()}
            from teamigrate.schema.model import Schema

            return Schema(**viewed)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            return None  # absent, damaged, or written by other code: build it again

    def get_or_build(self, key: str, build: Callable[[], Schema]) -> Schema:
        found = self.get(key)
        if found is None:
            found = build()
            self.put(key, found)
        return found

    def put(self, key: str, schema: Schema) -> None:
        fields = {name: dict(value) if isinstance(value, Mapping) else value for name, value in vars(schema).items()}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = self.folder / f"{key}.{os.getpid()}.tmp"
            temporary.write_bytes(pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL))
            temporary.replace(self.folder / f"{key}.pickle")
            self._evict()
        except OSError:
            pass  # the store is an optimisation; a read-only home still works

    def clear(self) -> int:
        """Remove every stored schema; how many there were."""
        entries = list(self.folder.glob("*.pickle"))
        for path in entries:
            path.unlink(missing_ok=True)
        return len(entries)

    def _evict(self) -> None:
        entries = sorted(self.folder.glob("*.pickle"), key=_mtime)
        for path in entries[: max(0, len(entries) - self.limit)]:
            path.unlink(missing_ok=True)


@cache
def _code_fingerprint() -> str:
    """teamigrate's version and the state of the code that builds schemas: an edited checkout invalidates the store."""
    package = Path(__file__).parent.parent
    # Every module under schema/ (the differ's and the renderer's packages included) and the workspace that loads and reads.
    files = sorted([*package.glob("schema/**/*.py"), *package.glob("schema/sql/*.sql"), *package.glob("workspace/*.py"), package / "history" / "apply.py"])
    stamps = [f"{path.relative_to(package)}:{path.stat().st_size}:{path.stat().st_mtime_ns}" for path in files if path.is_file()]
    return hashlib.sha256("\0".join([__version__, *stamps]).encode()).hexdigest()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def schema_key(kind: str, admin_url: str, server_version: int, exclude_tables: Sequence[tuple[str, str]], *parts: bytes) -> str:
    """A stored schema's name: what built it (`kind` and `parts`), on which server, by which code, with which tables left out."""
    server = f"{admin_url}\0{server_version}"
    digest = hashlib.sha256(f"{kind}\0{_code_fingerprint()}\0{server}\0{tuple(exclude_tables)}".encode())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return f"{kind}-{digest.hexdigest()[:40]}"


def files_parts(files: Sequence[tuple[str, str]]) -> list[bytes]:
    """Schema files (name, text) as schema_key's parts."""
    return [part for name, text in files for part in (name.encode(), text.encode())]

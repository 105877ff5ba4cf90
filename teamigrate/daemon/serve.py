"""The daemon's serving loop: one process per teamigrate home and installation that keeps teamigrate imported and forks a child per command (see launch.py).

Each child takes the client's stdin, stdout and stderr, working folder,
environment, umask and arguments, so a command behaves as it does when run
directly; only the imports are already done. The daemon itself runs no command
and holds no database connection or thread, so every fork starts clean.

It stops after `idle_timeout` seconds without a command, when its socket file
is removed (its teamigrate home deleted), or when teamigrate's code or the
installed packages change (the command that notices runs without it).
"""

from __future__ import annotations

import importlib
import io
import os
import signal
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any

from teamigrate.daemon.protocol import receive_message, send_message
from teamigrate.database import mask_url, masked_traceback

# How often an idle daemon looks whether its socket file is still there.
TICK = 5.0
# How often a watched project's schema files and migrations are looked at, and how long they must stay unchanged to be read.
WATCH_EVERY = 0.5
WATCH_SETTLE = 0.2
# What `check` and `lint` import: loaded once here instead of in every command.
PRELOAD = (
    "teamigrate.cli",
    "teamigrate.commands.check",
    "teamigrate.git",
    "teamigrate.workspace.reader",
    "teamigrate.schema.diff",
    "teamigrate.schema.introspect",
    "teamigrate.workspace.sources",
    "teamigrate.workspace.schemas",
    "teamigrate.workspace.files",
    "teamigrate.commands.lint",
    "teamigrate.server.shadow",
    "teamigrate.workspace.replay_cache",
    "teamigrate.history.apply",
    "teamigrate.lint.linter",
    "teamigrate.lint.diagnostics",
    "concurrent.futures.thread",
    "rich.console",
)


class MaskedLog(io.TextIOBase):
    """The daemon's log (its stdout and stderr): written a whole line at a time, every password masked.

    Children get their client's environment, PGPASSWORD and DATABASE_URL included,
    and anything that goes wrong before they take the client's stderr lands here.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._pending += text
        complete, newline, self._pending = self._pending.rpartition("\n")
        if newline:
            self._stream.write(mask_url(complete + newline))
            self._stream.flush()
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._stream.write(mask_url(self._pending))
            self._pending = ""
        self._stream.flush()

    def fileno(self) -> int:
        return int(self._stream.fileno())


def serve(path: Path, idle_timeout: float) -> None:
    sys.stdout = MaskedLog(sys.stdout)
    sys.stderr = MaskedLog(sys.stderr)
    for module in PRELOAD:
        importlib.import_module(module)
    from teamigrate.cli import command

    command()  # typer's click command, built once for every child
    fingerprint = _code_fingerprint()
    listener = _listen(path)
    if listener is None:
        return
    inode = path.stat().st_ino
    # Children are reaped by the kernel; each child restores the default, or its subprocesses could not be waited for.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    started, served, last = time.time(), 0, time.monotonic()
    watchers: dict[tuple[str, ...], int] = {}
    listener.settimeout(min(TICK, idle_timeout / 2))
    try:
        while time.monotonic() - last < idle_timeout and _still_ours(path, inode):
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            to_watch = None
            with conn:
                if not _same_user(conn):
                    continue
                conn.settimeout(5)
                fds: list[int] = []
                try:
                    request, fds = receive_message(conn, with_fds=3)
                    if not isinstance(request, dict):
                        continue  # closed before a whole message, or not one teamigrate sends
                    if request.get("control") == "status":
                        send_message(conn, {"pid": os.getpid(), "started": started, "served": served, "idle_timeout": idle_timeout})
                        continue
                    if request.get("control") == "stop" or _code_fingerprint() != fingerprint:
                        send_message(conn, {"stopping": True})
                        return
                    if len(fds) != 3:
                        continue
                    served += 1
                    last = time.monotonic()  # only commands keep it alive, not `daemon status`
                    if os.fork() == 0:
                        _run_child(listener, conn, request, fds)
                    to_watch = request
                except (OSError, ValueError):
                    continue  # the client went away, or no process could be forked: the client runs the command itself
                finally:
                    for fd in fds:
                        os.close(fd)
            if to_watch is not None:  # forked once the client's socket and streams are closed here: it must not hold them
                _watch(listener, to_watch, watchers)
    finally:
        if _still_ours(path, inode):
            path.unlink(missing_ok=True)


def _listen(path: Path) -> socket.socket | None:
    """The listening socket; None when another daemon already answers on it."""
    if path.exists():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(path))
                return None
            except OSError:
                path.unlink(missing_ok=True)  # left by a daemon that was killed
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(str(path))
    finally:
        os.umask(old_umask)
    listener.listen(64)
    return listener


def _run_child(listener: socket.socket, conn: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
    """Run one command as the client would have, then end this process; never returns."""
    code = 1
    try:
        listener.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # Ctrl-C, passed on by the client, must stop the command even when the daemon was started where SIGINT is
        # ignored (a background job of a script, a hook): that disposition is inherited, and Python keeps it.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.chdir(str(request["cwd"]))
        os.environ.clear()
        os.environ.update(request["env"])
        os.umask(int(request["umask"]))
        encodings = list(request["encoding"])
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=encodings[0])
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=encodings[1], line_buffering=os.isatty(1))
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding=encodings[2], errors="backslashreplace", line_buffering=True)
        sys.argv = list(request["argv"])
        send_message(conn, {"pid": os.getpid()})
        from teamigrate.cli import main

        try:
            main(sys.argv[1:])
            code = 0
        except SystemExit as exit_:
            code = _exit_code(exit_.code)
    except BaseException:  # noqa: BLE001 - a child must always answer and end
        sys.stderr.write(masked_traceback())
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        try:
            send_message(conn, {"exit": code})
        except OSError:
            pass
        os._exit(code)


def _watch(listener: socket.socket, request: dict[str, Any], watchers: dict[tuple[str, ...], int]) -> None:
    """After a `check`, watch its project: a child that reads changed schema files and migrations into the schema store.

    The hook's check after a hand-written migration then finds both schemas built
    (the store is keyed by their bytes, so a read ahead of time is the same read).
    One watcher per project and environment; it ends with the daemon.
    """
    argv, env = list(request["argv"]), dict(request["env"])
    if argv[1:2] != ["check"] or "--config" in argv:
        return
    key = (str(request["cwd"]), env.get("TEAMIGRATE_HOME", ""), env.get("TEAMIGRATE_CONFIG", ""))
    if key in watchers and _alive(watchers[key]):
        return
    daemon = os.getpid()
    try:
        pid = os.fork()
    except OSError:
        return
    if pid:
        watchers[key] = pid
        return
    try:
        listener.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.chdir(key[0])
        os.environ.clear()
        os.environ.update(env)
        _keep_warm(daemon)
    except BaseException:  # noqa: BLE001 - reading ahead is an optimisation: never a failure anyone sees
        pass
    os._exit(0)


def _keep_warm(daemon: int) -> None:
    from teamigrate.config import load_config

    config = load_config()
    watched = [config.migrations, *([config.schema] if config.schema is not None else [])]
    seen = _stamp(watched)  # as the check that started this watcher reads them itself
    while os.getppid() == daemon:
        time.sleep(WATCH_EVERY)
        stamp = _stamp(watched)
        if stamp != seen:
            time.sleep(WATCH_SETTLE)  # an editor's or a dump's writes end first
            if _stamp(watched) == stamp:
                _read_ahead(config)
                seen = stamp


def _read_ahead(config: Any) -> None:
    """The schemas `check` will ask for, built into the schema store now; any failure is left for the check to report."""
    from teamigrate.workspace.files import schema_files
    from teamigrate.workspace.project import checked_out_migrations
    from teamigrate.workspace.schemas import Workspace

    workspace = Workspace.for_config(config)
    for read in (lambda: workspace.of_files(schema_files(config.schema)) if config.schema is not None else None,
                 lambda: workspace.of_history(checked_out_migrations(config))):
        try:
            read()
        except Exception:  # noqa: BLE001 - the check reports it, with its code and hint
            pass


def _stamp(paths: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """Every file below `paths`, with its change time and size."""
    stamps = []
    for path in paths:
        for folder, _subfolders, names in os.walk(path) if path.is_dir() else [(str(path.parent), [], [path.name])]:
            for name in names:
                try:
                    info = os.stat(os.path.join(folder, name))
                except OSError:
                    continue
                stamps.append((os.path.join(folder, name), info.st_mtime_ns, info.st_size))
    return tuple(sorted(stamps))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    sys.stderr.write(f"{value}\n")
    return 1


def _same_user(conn: socket.socket) -> bool:
    """The socket's folder is private to this user; on Linux the peer's uid is checked as well."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return True
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i")))
    return uid == os.getuid()


def _still_ours(path: Path, inode: int) -> bool:
    try:
        return path.stat().st_ino == inode
    except OSError:
        return False


def _code_fingerprint() -> int:
    """teamigrate's files and the folders packages are installed in: a change means this process runs old code."""
    package = Path(__file__).resolve().parent.parent
    stamps: list[tuple[str, int, int]] = []
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        for name in names:
            stat = os.stat(os.path.join(folder, name))
            stamps.append((os.path.join(folder, name), stat.st_mtime_ns, stat.st_size))
    for entry in sys.path:
        if entry.endswith("-packages") and os.path.isdir(entry):
            stamps.append((entry, os.stat(entry).st_mtime_ns, 0))
    return hash(tuple(stamps))


if __name__ == "__main__":
    serve(Path(sys.argv[1]), float(sys.argv[2]))

"""Start, stop and ask the daemon (see daemon/serve.py): called by the `daemon` commands and the hooks' tip."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from teamigrate.daemon.protocol import SOCKET_PATH_LIMIT, receive_message, send_message, socket_path
from teamigrate.errors import TeamigrateError

IDLE_TIMEOUT = 3 * 60 * 60.0
START_WAIT = 20.0


@dataclass(frozen=True)
class DaemonStatus:
    socket: Path
    pid: int | None = None
    started: float | None = None
    served: int = 0
    idle_timeout: float = IDLE_TIMEOUT

    @property
    def running(self) -> bool:
        return self.pid is not None

    @property
    def log(self) -> Path:
        return self.socket.with_suffix(".log")


def daemon_status() -> DaemonStatus:
    path = Path(socket_path())
    reply = _ask(path, {"control": "status"})
    if reply is None or "pid" not in reply:
        return DaemonStatus(path)
    return DaemonStatus(path, int(reply["pid"]), float(reply["started"]), int(reply["served"]), float(reply["idle_timeout"]))


def start_daemon(idle_timeout: float = IDLE_TIMEOUT) -> tuple[DaemonStatus, bool]:
    """The running daemon, and whether this call started it."""
    path = Path(socket_path())
    if len(str(path)) > SOCKET_PATH_LIMIT:
        raise TeamigrateError("TM120", f"the daemon's socket path is {len(str(path))} bytes long, more than a Unix socket allows: {path}",
                              "set TEAMIGRATE_HOME to a shorter folder")
    if not hasattr(socket, "send_fds"):
        raise TeamigrateError("TM120", "the daemon needs Unix sockets that pass file descriptors, which this system lacks", "run commands without it")
    running = daemon_status()
    if running.running:
        return running, False
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)  # only this user may hand the daemon a command
    log = DaemonStatus(path).log
    with log.open("ab") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "teamigrate.daemon.serve", str(path), str(idle_timeout)],
                                   stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file, cwd="/", start_new_session=True)
    deadline = time.monotonic() + START_WAIT
    while time.monotonic() < deadline and process.poll() is None:
        status = daemon_status()
        if status.running:
            return status, True
        time.sleep(0.05)
    status = daemon_status()  # another `start` may have won the race
    if status.running:
        return status, False
    raise TeamigrateError("TM120", "the teamigrate daemon did not start", f"see its log: {log}")


def stop_daemon() -> bool:
    """Whether a daemon was running (it has stopped when this returns)."""
    path = Path(socket_path())
    if _ask(path, {"control": "stop"}) is None:
        return False
    deadline = time.monotonic() + START_WAIT
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return True


def _ask(path: Path, message: dict[str, object]) -> dict[str, Any] | None:
    if not path.exists():
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(START_WAIT)
        try:
            sock.connect(str(path))
            send_message(sock, message)
            reply, _ = receive_message(sock)
        except OSError:
            return None
    return reply

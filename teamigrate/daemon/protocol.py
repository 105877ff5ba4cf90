"""The daemon's wire protocol, shared by the entry point and the daemon: where its socket is, and length-prefixed JSON messages with file descriptors.

The standard library only: this runs before every command (see launch.py).
"""

from __future__ import annotations

import binascii
import json
import os
import socket
import struct
import sys

TYPE_CHECKING = False  # typing's import is left out too
if TYPE_CHECKING:
    from typing import Any

ENV_DAEMON = "TEAMIGRATE_DAEMON"  # "0": never hand a command to the daemon
# Unix socket paths are limited to 104 bytes on macOS, 108 on Linux.
SOCKET_PATH_LIMIT = 100


def socket_path() -> str:
    """One daemon per teamigrate home and installation: a daemon of another venv would run other code.

    (pathlib and platformdirs are left out: this runs before every command.)
    """
    home = os.environ.get("TEAMIGRATE_HOME")
    if not home:
        import platformdirs

        home = platformdirs.user_cache_dir("teamigrate")
    installation = f"{os.path.realpath(sys.executable)}\0{os.path.dirname(os.path.realpath(__file__))}"
    return os.path.join(home, "daemon", f"{binascii.crc32(installation.encode()):08x}.sock")


def send_message(sock: socket.socket, message: dict[str, object], fds: list[int] | None = None) -> None:
    data = json.dumps(message).encode()
    header = struct.pack("!I", len(data))
    if fds:
        socket.send_fds(sock, [header], fds)
        sock.sendall(data)
    else:
        sock.sendall(header + data)


def receive_message(sock: socket.socket, with_fds: int = 0) -> tuple[dict[str, Any] | None, list[int]]:
    """One length-prefixed JSON message (None when the peer closed first) and the descriptors sent with it."""
    fds: list[int] = []
    if with_fds:
        header, fds, _, _ = socket.recv_fds(sock, 4, with_fds)
    else:
        header = sock.recv(4)
    header += _exactly(sock, 4 - len(header)) if header else b""
    if len(header) < 4:
        return None, fds
    data = _exactly(sock, struct.unpack("!I", header)[0])
    return json.loads(data), fds


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks = []
    while size > 0:
        chunk = sock.recv(min(size, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)

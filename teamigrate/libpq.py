"""libpq itself, through ctypes: a connection for the one command that cannot wait for psycopg's import.

Importing psycopg takes about 0.1 s, as long as PostgreSQL takes to apply a
few hundred small migrations: a release pipeline's `deploy` would spend more
time importing than deploying. commands/deploy_fast.py applies what is pending
through this module when nothing needs more than sending SQL and reading a few
rows, and hands everything else to the psycopg path.

It loads the libpq psycopg itself uses (psycopg_binary's copy, else the
system's), so a URL, a service file, `.pgpass`, SSL and the `PG*` variables
mean exactly what they mean to psycopg.

Public API: `load() -> Libpq | None` (None: no libpq found, use psycopg);
`Libpq.connect(url, connect_timeout=10) -> Session` (raises ConnectFailed);
`Session.query(sql, params=())` (rows as text; their columns' type oids in `.column_types`), `Session.send(sql, wait=None)`
(a simple query of many statements; `wait` is called every 0.1 s while the
server works), or the same in two halves: `submit(sql)`, then `collect(wait)`; `Session.server_version`, `.backend_pid`, `.in_transaction`,
`.broken`, `.close()`; `QueryFailed` with `.sqlstate`, `.primary`, `.detail`.
"""

from __future__ import annotations

import ctypes
import os
import select
import sys
from collections.abc import Callable, Sequence
from functools import cache
from importlib.util import find_spec
from pathlib import Path

_CONNECTION_OK = 0
_COMMAND_OK, _TUPLES_OK = 1, 2
_TRANS_IDLE, _TRANS_INTRANS, _TRANS_INERROR = 0, 2, 3
_SQLSTATE, _PRIMARY, _DETAIL = ord("C"), ord("M"), ord("D")
_NOTICE_PROCESSOR = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)


class ConnectFailed(Exception):
    """libpq could not connect; the message is libpq's, as psycopg's OperationalError holds it."""


class QueryFailed(Exception):
    """The server refused a statement (or the connection broke: `sqlstate` None)."""

    def __init__(self, message: str, sqlstate: str | None, primary: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate, self.primary, self.detail = sqlstate, primary, detail


def _candidates() -> list[str]:
    """psycopg's own libpq first: psycopg_binary's bundled copy (unless psycopg_c, built on the system's, is there)."""
    found: list[str] = []
    binary = find_spec("psycopg_binary") if find_spec("psycopg_c") is None else None
    if binary is not None and binary.submodule_search_locations:
        package = Path(next(iter(binary.submodule_search_locations)))
        for folder in (package.parent / "psycopg_binary.libs", package / ".dylibs", package.parent / "psycopg_binary.dylibs"):
            if folder.is_dir():
                found += sorted(str(path) for path in folder.iterdir() if path.name.startswith("libpq"))
    return found + (["libpq.5.dylib"] if sys.platform == "darwin" else ["libpq.so.5"])


@cache
def load() -> Libpq | None:
    """libpq, or None where it cannot be found or loaded (then psycopg does the work)."""
    if os.name != "posix":
        return None
    for candidate in _candidates():
        try:
            return Libpq(ctypes.CDLL(candidate))
        except (OSError, AttributeError):
            continue
    return None


class Libpq:
    def __init__(self, lib: ctypes.CDLL) -> None:
        p, c_int, c_char_p = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
        for name, result, arguments in (
            ("PQconnectdbParams", p, [ctypes.POINTER(c_char_p), ctypes.POINTER(c_char_p), c_int]),
            ("PQstatus", c_int, [p]), ("PQerrorMessage", c_char_p, [p]), ("PQfinish", None, [p]),
            ("PQserverVersion", c_int, [p]), ("PQbackendPID", c_int, [p]), ("PQtransactionStatus", c_int, [p]),
            ("PQsetNoticeProcessor", p, [p, _NOTICE_PROCESSOR, p]),
            ("PQsendQuery", c_int, [p, c_char_p]),
            ("PQsendQueryParams", c_int, [p, c_char_p, c_int, p, ctypes.POINTER(c_char_p), p, p, c_int]),
            ("PQsocket", c_int, [p]), ("PQconsumeInput", c_int, [p]), ("PQisBusy", c_int, [p]),
            ("PQgetResult", p, [p]), ("PQresultStatus", c_int, [p]), ("PQresultErrorField", c_char_p, [p, c_int]),
            ("PQresultErrorMessage", c_char_p, [p]), ("PQclear", None, [p]),
            ("PQntuples", c_int, [p]), ("PQnfields", c_int, [p]), ("PQgetisnull", c_int, [p, c_int, c_int]),
            ("PQftype", ctypes.c_uint, [p, c_int]),
            ("PQgetvalue", c_char_p, [p, c_int, c_int]),
            ("PQgetCancel", p, [p]), ("PQcancel", c_int, [p, c_char_p, c_int]), ("PQfreeCancel", None, [p]),
        ):
            function = getattr(lib, name)
            function.restype, function.argtypes = result, arguments
        self.lib = lib
        self._quiet = _NOTICE_PROCESSOR(lambda _arg, _message: None)  # kept alive as long as libpq may call it

    def connect(self, url: str, connect_timeout: int = 10) -> Session:
        """A connection as psycopg.connect(url, connect_timeout=…) makes it, in UTF-8 (the text deploy sends)."""
        settings = {"dbname": url, "connect_timeout": str(connect_timeout), "client_encoding": "UTF8"}
        keys = (ctypes.c_char_p * (len(settings) + 1))(*[key.encode() for key in settings], None)
        values = (ctypes.c_char_p * (len(settings) + 1))(*[value.encode() for value in settings.values()], None)
        conn = self.lib.PQconnectdbParams(keys, values, 1)
        if not conn:
            raise ConnectFailed("out of memory")
        if self.lib.PQstatus(conn) != _CONNECTION_OK:
            message = (self.lib.PQerrorMessage(conn) or b"").decode(errors="replace").strip()
            self.lib.PQfinish(conn)
            raise ConnectFailed(message or "connection failed")
        self.lib.PQsetNoticeProcessor(conn, self._quiet, None)  # psycopg does not print notices either
        return Session(self, conn)


class Session:
    def __init__(self, libpq: Libpq, conn: int) -> None:
        self._pq, self._lib, self._conn = libpq, libpq.lib, conn
        self.server_version = int(self._lib.PQserverVersion(conn))
        self.backend_pid = int(self._lib.PQbackendPID(conn))
        self.broken = False
        self.column_types: list[int] = []  # the type oid of each column of the last rows read

    @property
    def in_transaction(self) -> bool:
        return self._lib.PQtransactionStatus(self._conn) in (_TRANS_INTRANS, _TRANS_INERROR)

    def query(self, sql: str, params: Sequence[str | None] = ()) -> list[tuple[str | None, ...]]:
        """One statement with text parameters ($1, $2, …); its rows, every value as text."""
        values = (ctypes.c_char_p * max(len(params), 1))(*[None if v is None else v.encode() for v in params])
        sent = self._lib.PQsendQueryParams(self._conn, sql.encode(), len(params), None, values, None, None, 0)
        return self._results(bool(sent), None)

    def send(self, sql: str, wait: Callable[[], None] | None = None) -> list[tuple[str | None, ...]]:
        """A simple query (many statements); the server stops at the first error, raised as QueryFailed.
        `wait()` runs every 0.1 s while the server works; Ctrl-C cancels the query."""
        self.submit(sql)
        return self.collect(wait)

    def submit(self, sql: str) -> None:
        """Send a simple query and return at once: the caller works while the server does; `collect` its end."""
        if not self._lib.PQsendQuery(self._conn, sql.encode()):
            self._lost()

    def collect(self, wait: Callable[[], None] | None = None) -> list[tuple[str | None, ...]]:
        """The end of what `submit` sent: `send`'s result or QueryFailed."""
        return self._results(True, wait)

    def _results(self, sent: bool, wait: Callable[[], None] | None) -> list[tuple[str | None, ...]]:
        if not sent:
            self._lost()
        try:
            self._wait(wait)
        except KeyboardInterrupt:
            self._cancel()
            raise
        rows: list[tuple[str | None, ...]] = []
        failure: QueryFailed | None = None
        while True:
            result = self._lib.PQgetResult(self._conn)
            if not result:
                break
            try:
                status = self._lib.PQresultStatus(result)
                if status == _TUPLES_OK:
                    rows = self._rows(result)
                elif status != _COMMAND_OK and failure is None:
                    failure = self._failure(result)
            finally:
                self._lib.PQclear(result)
        if failure is not None:
            if failure.sqlstate is None:
                self.broken = True
            raise failure
        return rows

    def _wait(self, wait: Callable[[], None] | None) -> None:
        socket = self._lib.PQsocket(self._conn)
        while True:
            if not self._lib.PQconsumeInput(self._conn):
                self._lost()
            if not self._lib.PQisBusy(self._conn):
                return
            ready, _, _ = select.select([socket], [], [], 0.1)
            if not ready and wait is not None:
                wait()

    def _rows(self, result: int) -> list[tuple[str | None, ...]]:
        lib = self._lib
        columns = range(lib.PQnfields(result))
        self.column_types = [int(lib.PQftype(result, column)) for column in columns]
        return [
            tuple(None if lib.PQgetisnull(result, row, column) else lib.PQgetvalue(result, row, column).decode() for column in columns)
            for row in range(lib.PQntuples(result))
        ]

    def _failure(self, result: int) -> QueryFailed:
        def field(code: int) -> str | None:
            value = self._lib.PQresultErrorField(result, code)
            return value.decode(errors="replace") if value is not None else None

        message = (self._lib.PQresultErrorMessage(result) or b"").decode(errors="replace").strip()
        return QueryFailed(message or "query failed", field(_SQLSTATE), field(_PRIMARY), field(_DETAIL))

    def _lost(self) -> None:
        self.broken = True
        raise QueryFailed((self._lib.PQerrorMessage(self._conn) or b"").decode(errors="replace").strip() or "connection lost", None)

    def _cancel(self) -> None:
        cancel = self._lib.PQgetCancel(self._conn)
        if cancel:
            self._lib.PQcancel(cancel, ctypes.create_string_buffer(256), 256)
            self._lib.PQfreeCancel(cancel)
        self.broken = True  # what the cancelled query left is not waited for: the connection is closed

    def close(self) -> None:
        if self._conn:
            self._lib.PQfinish(self._conn)
            self._conn = 0

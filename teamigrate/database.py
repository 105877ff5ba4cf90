"""Connections to PostgreSQL: one way to open them, errors without passwords."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from teamigrate.errors import DatabaseError

if TYPE_CHECKING:
    import psycopg

LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1", "[::1]"})

_PASSWORD_IN_URL = re.compile(r"(postgres(?:ql)?://[^:/@\s]*:)([^@\s]*)(@)")
_PASSWORD_PARAM = re.compile(r"(password=)(\S+)", re.IGNORECASE)


def mask_url(text: str) -> str:
    """Mask every password in a URL or a message that may hold one."""
    text = _PASSWORD_IN_URL.sub(lambda m: m.group(1) + ("****" if m.group(2) else "") + m.group(3), text)
    return _PASSWORD_PARAM.sub(r"\1****", text)


def is_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


def url_host(url: str) -> str:
    """The host a URL connects to; a Unix socket folder when it names one."""
    parts = urlsplit(url)
    query_host = parse_qs(parts.query).get("host")
    if query_host:
        return query_host[0]
    return unquote(parts.hostname or "")


def url_database(url: str) -> str:
    parts = urlsplit(url)
    query_db = parse_qs(parts.query).get("dbname")
    if query_db:
        return query_db[0]
    return unquote(parts.path.lstrip("/"))


def is_local_url(url: str) -> bool:
    host = url_host(url)
    return host in LOCAL_HOSTS or host.startswith("/")


def same_database(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (
        url_host(a) == url_host(b)
        and (pa.port or 5432) == (pb.port or 5432)
        and url_database(a) == url_database(b)
    )


def connect(url: str, *, autocommit: bool = True, connect_timeout: int = 10) -> psycopg.Connection:
    # Imported here: psycopg takes a third of a second to import, and the
    # commands that answer from files alone (a cached `check`) never connect.
    import psycopg

    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=connect_timeout)
    except psycopg.OperationalError as exc:
        raise connection_error(url, exc) from None
    except psycopg.ProgrammingError as exc:
        raise DatabaseError("TM111", f"invalid database URL {mask_url(url)}: {mask_url(str(exc))}", "check the URL's form: postgresql://user:password@host:port/dbname") from None


def connection_error(url: str, exc: Exception) -> DatabaseError:
    text = mask_url(str(exc)).strip().splitlines()
    detail = text[-1].strip() if text else type(exc).__name__
    masked = mask_url(url)
    lowered = " ".join(text).lower()
    if "does not exist" in lowered and "database" in lowered:
        return DatabaseError("TM112", f"database `{url_database(url)}` does not exist on {masked}", "create it (createdb), or leave database_url empty to use the embedded server")
    if "password authentication failed" in lowered or "no password supplied" in lowered or "authentication" in lowered:
        return DatabaseError("TM117", f"{masked} refused the credentials: {detail}", "check the user and password in the URL or in DATABASE_URL")
    return DatabaseError("TM111", f"cannot connect to {masked}: {detail}", "check that the server runs and that host and port are right")


@contextmanager
def connection(url: str, *, autocommit: bool = True) -> Iterator[psycopg.Connection]:
    conn = connect(url, autocommit=autocommit)
    try:
        yield conn
    finally:
        conn.close()


class TransactionEnded(Exception):
    """Something inside a `rolled_back` block committed: the database kept its changes."""


@contextmanager
def rolled_back(conn: psycopg.Connection) -> Iterator[None]:
    """A transaction that is always rolled back, on an autocommit connection.

    Raises TransactionEnded when the block ended the transaction itself (a
    COMMIT sent as SQL), so that the caller can throw the database away.
    """
    from psycopg.pq import TransactionStatus

    conn.execute("BEGIN")
    try:
        yield
    except BaseException as exc:
        if conn.info.transaction_status == TransactionStatus.IDLE:
            raise TransactionEnded from exc
        if not conn.broken:
            conn.execute("ROLLBACK")
        raise
    if conn.info.transaction_status == TransactionStatus.IDLE:
        raise TransactionEnded
    conn.execute("ROLLBACK")


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'

"""Connections to PostgreSQL: one way to open them, what a DSN reaches, and how to show one without its password."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from teamigrate.errors import DatabaseError

if TYPE_CHECKING:
    import ipaddress

    import psycopg

MASK = "****"

# --- masking: every form of password libpq accepts ---------------------------
#
# These work on any text (a DSN, a message, a traceback) without parsing it, so
# that a message can be masked even when the DSN in it is not valid, and
# without importing psycopg. Where unsure they mask too much, never too little.

# URL userinfo: libpq takes everything up to the first `@` before any `/` as
# `user[:password]`, spaces and `?` included. A `/` in a password makes libpq
# read it as host and port instead, but it is still meant as a password: the
# second form masks up to an `@` across `/` too.
_URL_USERINFO = re.compile(r"(postgres(?:ql)?://)([^@/]*|[^@\s]*)@", re.IGNORECASE)
# A URL query parameter (`?password=…`, `&password=…`); libpq percent-decodes
# the key too, so `?%70assword=` is a password as well. libpq ends a value at
# `&` only, spaces included: in a message that masks the rest of the line.
_QUERY_PARAM = re.compile(r"(?<=[?&])([\w%.~+-]+)=([^&\n]*)")
# key=value: `password = 'a b\'c'` (quoted, backslash escapes) or `password=a\ b`
# (unquoted up to unescaped whitespace); `PGPASSWORD=…` and shell double quotes
# too, for seed commands that set it.
_KEYWORD_PASSWORD = re.compile(
    r"""(?<![\w?&])((?:pg)?password\s*=\s*)('(?:\\.|[^'\\])*(?:'|$)|"(?:\\.|[^"\\])*(?:"|$)|(?:\\.|[^\s\\])+)""",
    re.IGNORECASE | re.DOTALL,
)
# A quoted fragment of a DSN in libpq's parse errors (`missing "=" after "…"`).
_QUOTED_FRAGMENT = re.compile(r'"[^"]*"')


def mask_url(text: str) -> str:
    """`text` with every password masked: in URLs, key=value DSNs, URL queries, and PGPASSWORD's value."""
    text = _URL_USERINFO.sub(_mask_userinfo, text)
    text = _QUERY_PARAM.sub(_mask_query_param, text)
    text = _KEYWORD_PASSWORD.sub(lambda m: m.group(1) + MASK, text)
    secret = os.environ.get("PGPASSWORD")
    if secret:
        # Whole words only where the password starts or ends with one: `postgres`
        # as a password must not turn `postgresql://` into `****ql://`.
        before = r"(?<!\w)" if re.match(r"\w", secret[0]) else ""
        after = r"(?!\w)" if re.match(r"\w", secret[-1]) else ""
        text = re.sub(before + re.escape(secret) + after, MASK, text)
    return text


def masked_traceback() -> str:
    """The exception being handled, formatted as traceback.print_exc would print it, with every password masked."""
    import traceback

    return mask_url(traceback.format_exc())


def _mask_userinfo(match: re.Match[str]) -> str:
    user, colon, password = match.group(2).partition(":")
    return match.group(1) + user + (colon + MASK if colon and password else colon) + "@"


def _mask_query_param(match: re.Match[str]) -> str:
    key, value = match.group(1), match.group(2)
    if value and unquote(key).lower() == "password":
        return f"{key}={MASK}"
    return match.group(0)


_DISPLAY_ORDER = ("service", "host", "hostaddr", "port", "dbname", "user")


def display_dsn(dsn: str) -> str:
    """How a DSN is shown to people: a URL as written, a key=value DSN as its parameters; never a password."""
    if is_url(dsn.strip()):
        return mask_url(dsn)
    try:
        values = _parse(dsn)
    except DatabaseError:
        return mask_url(dsn)
    # Rebuilt from libpq's own reading rather than masked as text, so that no
    # quoting trick can leave a piece of the password behind.
    # Where it goes first, the rest in libpq's order, the password (masked) last.
    keys = sorted(values, key=lambda key: (_DISPLAY_ORDER.index(key) if key in _DISPLAY_ORDER else len(_DISPLAY_ORDER), key == "password"))
    shown = " ".join(f"{key}={MASK if key == 'password' else _quote_value(values[key])}" for key in keys)
    return mask_url(shown)  # another parameter (options='-c password=…') may hold one too


def _quote_value(value: str) -> str:
    if value and not re.search(r"[\s'\\]", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def is_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


# --- what a DSN connects to ----------------------------------------------------
#
# libpq reads a parameter from the DSN, else from the service the DSN (or
# PGSERVICE) names, else from its PG* variable, else a compiled default. Locality
# and sameness are decided on that complete reading, before any connection.

# The parameters that say where a connection goes, and their environment variables.
_ENVIRONMENT = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "service": "PGSERVICE",
}
DEFAULT_PORT = "5432"
# Where the default Unix socket (an empty host) may be: libpq's compiled
# DEFAULT_PGSOCKET_DIR is /var/run/postgresql in Debian's and psycopg-binary's
# builds, /tmp in PostgreSQL's own.
_DEFAULT_SOCKET_DIRS = ("/tmp", "/var/run/postgresql", "/run/postgresql")
# libpq reads the system service file from PGSYSCONFDIR, else from its compiled
# sysconfdir, which depends on the build: these are the usual ones.
_SYSTEM_SERVICE_DIRS = ("/etc/postgresql-common", "/etc", "/usr/local/pgsql/etc")


@dataclass(frozen=True)
class ConnectionParameters:
    """Where libpq would connect for a DSN: its parameters with the service's and PG* variables' filled in (never the password)."""

    values: Mapping[str, str]
    # Where each value came from, for messages: "the DSN", "PGHOST", "service `name`".
    origins: Mapping[str, str] = field(default_factory=dict)
    # False when a service is named and no service file teamigrate can read defines it.
    service_found: bool = True

    @property
    def service(self) -> str | None:
        return self.values.get("service") or None

    @property
    def hosts(self) -> list[str]:
        """One entry per host to try; "" is the default Unix socket."""
        hosts = _split(self.values.get("host", ""))
        addresses = _split(self.values.get("hostaddr", ""))
        if len(addresses) > len(hosts):
            hosts += [""] * (len(addresses) - len(hosts))
        return hosts or [""]

    @property
    def hostaddrs(self) -> list[str]:
        return [address for address in _split(self.values.get("hostaddr", "")) if address]

    @property
    def user(self) -> str:
        return self.values.get("user") or _os_user()

    @property
    def dbname(self) -> str:
        return self.values.get("dbname") or self.user

    def endpoints(self) -> list[tuple[str, str, str]]:
        """(kind, address, port) per host, kind "socket" or "tcp"; a hostaddr is where TCP goes, whatever the host's name."""
        hosts = self.hosts
        addresses = _split(self.values.get("hostaddr", ""))
        ports = _split(self.values.get("port", "")) or [DEFAULT_PORT]
        found = []
        for index, host in enumerate(hosts):
            address = addresses[index] if index < len(addresses) else ""
            port = ports[index] if len(ports) > 1 and index < len(ports) else ports[0]
            port = str(int(port)) if port.strip().isdigit() else (port or DEFAULT_PORT)
            if address:
                found.append(("tcp", _address_key(address), port))
            elif _is_socket(host):
                found.append(("socket", _socket_key(host), port))
            else:
                found.append(("tcp", _address_key(host), port))
        return found


def connection_parameters(dsn: str, environ: Mapping[str, str] | None = None) -> ConnectionParameters:
    """What libpq would read for `dsn` in this environment; DatabaseError TM111 for a DSN it would refuse."""
    environ = os.environ if environ is None else environ
    explicit = _parse(dsn)
    explicit.pop("password", None)
    values = dict(explicit)
    origins = {key: "the DSN" for key in explicit}
    service = values.get("service") or environ.get("PGSERVICE") or ""
    found = True
    if service:
        values.setdefault("service", service)
        origins.setdefault("service", "PGSERVICE")
        servicefile = explicit.get("servicefile") or environ.get("PGSERVICEFILE")
        definition = _service_definition(service, servicefile, environ)
        found = definition is not None
        for key, value in (definition or {}).items():
            if key != "password" and key not in values:
                values[key] = value
                origins[key] = f"service `{service}`"
    for key, variable in _ENVIRONMENT.items():
        if key not in values and variable in environ:
            values[key] = environ[variable]
            origins[key] = variable
    return ConnectionParameters(values, origins, found)


def _parse(dsn: str) -> dict[str, str]:
    # Imported here: psycopg takes a third of a second to import, and `check`
    # answers from files alone when nothing changed.
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        return {key: str(value) for key, value in conninfo_to_dict(dsn).items()}
    except ProgrammingError as exc:
        raise DatabaseError("TM111", f"invalid database URL {mask_url(dsn)}: {_parse_error_detail(dsn, exc)}",
                            "check the URL's form: postgresql://user:password@host:port/dbname, or key=value pairs") from None


def _parse_error_detail(dsn: str, exc: Exception) -> str:
    detail = mask_url(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    # libpq quotes the piece of the DSN it choked on, which can be half of a
    # password (`password=two words` fails on "words"): drop those pieces when a password is there.
    if "password" in dsn.lower() or _URL_USERINFO.search(dsn) or os.environ.get("PGPASSWORD"):
        detail = _QUOTED_FRAGMENT.sub('"…"', detail)
    return detail


def _service_definition(name: str, servicefile: str | None, environ: Mapping[str, str]) -> dict[str, str] | None:
    """The parameters of service `name` as libpq reads them: the user's service file first, then the system's."""
    if servicefile:
        user_files = [Path(servicefile)]
    else:
        home = environ.get("HOME") or os.path.expanduser("~")
        user_files = [Path(home) / ".pg_service.conf"]
    if "PGSYSCONFDIR" in environ:
        system_files = [Path(environ["PGSYSCONFDIR"]) / "pg_service.conf"]
    else:
        system_files = [Path(folder) / "pg_service.conf" for folder in _SYSTEM_SERVICE_DIRS]
    for path in [*user_files, *system_files]:
        definition = _read_service_file(path, name)
        if definition is not None:
            return definition
    return None


def _read_service_file(path: Path, name: str) -> dict[str, str] | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    definition: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            if definition is not None:
                break  # the next group: libpq stops at the end of the first match
            if line[1:].startswith(name) and line[1 + len(name):2 + len(name)] == "]":
                definition = {}
        elif definition is not None:
            key, equals, value = line.partition("=")
            if equals:
                definition[key] = value
    return definition


def _split(value: str) -> list[str]:
    return value.split(",") if value else []


def _os_user() -> str:
    # libpq's default user is the effective user's name, not $USER.
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        import getpass

        return getpass.getuser()


def _is_socket(host: str) -> bool:
    """An empty host (the default socket), an absolute folder, or a Linux abstract socket (`@name`)."""
    return host == "" or host.startswith(("/", "@"))


def _socket_key(host: str) -> str:
    if host.startswith("/"):
        return os.path.realpath(os.path.normpath(host))
    return host


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    import ipaddress  # only when a DSN is read: the hooks' `check` never does

    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _address_key(host: str) -> str:
    address = _ip(host)
    return str(address) if address is not None else host.strip().lower().rstrip(".")


def _is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    address = _ip(host)
    return address is not None and address.is_loopback


def nonlocal_endpoints(dsn: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """What in a DSN may not be this machine, as people read it: [] when every host is a Unix socket or loopback."""
    params = connection_parameters(dsn, environ)
    found: list[str] = []
    if params.service:
        # A service file can name any host, and libpq may read one teamigrate cannot find: never local.
        found.append(f"the service `{params.service}`" + _origin(params, "service"))
    for host in params.hosts:
        if not _is_socket(host) and not _is_loopback(host):
            found.append(f"host {host}" + _origin(params, "host"))
    for address in params.hostaddrs:
        if not _is_loopback(address):
            found.append(f"hostaddr {address}" + _origin(params, "hostaddr"))
    return found


def _origin(params: ConnectionParameters, key: str) -> str:
    origin = params.origins.get(key, "the DSN")
    return "" if origin == "the DSN" else f" (from {origin})"


def is_local_url(dsn: str, environ: Mapping[str, str] | None = None) -> bool:
    return not nonlocal_endpoints(dsn, environ)


def same_server(a: ConnectionParameters, b: ConnectionParameters) -> bool | None:
    """True when both reach one server, False when they cannot, None when teamigrate cannot tell."""
    if not (a.service_found and b.service_found):
        return None
    verdict: bool | None = False
    for kind_a, address_a, port_a in a.endpoints():
        for kind_b, address_b, port_b in b.endpoints():
            if port_a != port_b or kind_a != kind_b:
                # A socket and a TCP port may be one server, but the embedded
                # server listens on a socket only, and a container's on TCP only:
                # calling them one would refuse the commonest set-up.
                continue
            if address_a == address_b:
                return True
            if kind_a == "tcp" and _is_loopback(address_a) and _is_loopback(address_b):
                verdict = None  # localhost, 127.0.0.1 and ::1 are usually one server
            elif kind_a == "socket" and _default_socket_may_be(address_a, address_b):
                verdict = None
    return verdict


def _default_socket_may_be(a: str, b: str) -> bool:
    defaults = {os.path.realpath(folder) for folder in _DEFAULT_SOCKET_DIRS}
    return (a == "" and b in defaults) or (b == "" and a in defaults)


def same_database(a: str, b: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether two DSNs may reach the same database; when teamigrate cannot tell, they may."""
    try:
        params_a, params_b = connection_parameters(a, environ), connection_parameters(b, environ)
    except DatabaseError:
        return False  # a DSN libpq refuses reaches no database at all
    if _known_dbname(params_a) and _known_dbname(params_b) and params_a.dbname != params_b.dbname:
        return False
    return same_server(params_a, params_b) is not False


def _known_dbname(params: ConnectionParameters) -> bool:
    # A service libpq reads but teamigrate cannot find may set dbname (and user,
    # its default), ahead of PGDATABASE: only the DSN's own dbname is certain then.
    return params.service_found or params.origins.get("dbname") == "the DSN"


def url_host(dsn: str) -> str:
    """The host(s) a DSN connects to as libpq lists them; "" for the default Unix socket."""
    try:
        return connection_parameters(dsn).values.get("host", "")
    except DatabaseError:
        parts = urlsplit(dsn)
        query_host = parse_qs(parts.query).get("host")
        return query_host[0] if query_host else unquote(parts.hostname or "")


def url_database(dsn: str) -> str:
    """The database a DSN connects to, with libpq's defaults (PGDATABASE, then the user name)."""
    try:
        return connection_parameters(dsn).dbname
    except DatabaseError:
        parts = urlsplit(dsn)
        query_db = parse_qs(parts.query).get("dbname")
        return query_db[0] if query_db else unquote(parts.path.lstrip("/"))


def connect(url: str, *, autocommit: bool = True, connect_timeout: int = 10) -> psycopg.Connection:
    # Imported here: psycopg takes a third of a second to import, and the
    # commands that answer from files alone (a cached `check`) never connect.
    import psycopg

    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=connect_timeout)
    except psycopg.OperationalError as exc:
        raise connection_error(url, exc) from None
    except psycopg.ProgrammingError as exc:
        raise DatabaseError("TM111", f"invalid database URL {mask_url(url)}: {_parse_error_detail(url, exc)}",
                            "check the URL's form: postgresql://user:password@host:port/dbname, or key=value pairs") from None


def connection_error(url: str, exc: Exception) -> DatabaseError:
    text = mask_url(str(exc)).strip().splitlines()
    detail = text[-1].strip() if text else type(exc).__name__
    masked = display_dsn(url)
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

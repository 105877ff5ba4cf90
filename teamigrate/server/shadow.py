"""Where throwaway databases live: the embedded server, a shadow_pg_bin or pg_bin cluster, or shadow_database_url."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from teamigrate.config import Config
from teamigrate.database import connect, display_dsn, quote_ident, same_database
from teamigrate.errors import ServerError
from teamigrate.server.cluster import PostgresCluster, embedded_cluster, pg_bin_cluster

if TYPE_CHECKING:
    import psycopg

SCRATCH_PREFIX = "teamigrate_shadow_"
# How often drop_database looks for sessions that are closing (4 ms apart: a tenth of a second in all).
_CLOSING_POLLS = 25


class ShadowServer:
    """A server on which teamigrate may create and drop databases of its own."""

    def __init__(self, admin_url: str, cluster: PostgresCluster | None = None) -> None:
        self.admin_url = admin_url
        self.cluster = cluster
        self._admin_conn: psycopg.Connection | None = None

    def admin(self) -> psycopg.Connection:
        """One maintenance connection for the many CREATE/DROP DATABASE a command makes."""
        if self._admin_conn is None or self._admin_conn.closed:
            self._admin_conn = connect(self.admin_url)
        return self._admin_conn

    @classmethod
    def for_config(cls, config: Config, user_database_url: str | None = None) -> ShadowServer:
        if config.shadow_database_url:
            server = cls(config.shadow_database_url)
        elif config.shadow_pg_bin is not None:
            cluster = pg_bin_cluster(config.shadow_pg_bin)
            cluster.ensure_running()
            server = cls(cluster.url(), cluster)
        else:
            server = cls.development(config)
        target = user_database_url if user_database_url is not None else config.database_url
        # same_database reads both as libpq would (host lists, sockets, PG* defaults) and says yes when it cannot tell.
        if target and same_database(server.admin_url, target):
            raise ServerError(
                "TM113",
                f"the shadow database would be your own database {display_dsn(target)}",
                "set shadow_database_url to another server or database, or leave it empty for the embedded server",
            )
        return server

    @classmethod
    def development(cls, config: Config) -> ShadowServer:
        """The server teamigrate runs for a project: a cluster from pg_bin, else the embedded one.

        It holds the development database when database_url is empty, and the
        shadow unless shadow_database_url or shadow_pg_bin names another.
        """
        if config.pg_bin is None:
            return cls.embedded()
        cluster = pg_bin_cluster(config.pg_bin, "pg_bin")
        cluster.ensure_running()
        return cls(cluster.url(), cluster)

    @classmethod
    def embedded(cls) -> ShadowServer:
        cluster = embedded_cluster()
        cluster.ensure_running()
        return cls(cluster.url(), cluster)

    def database_url(self, name: str) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))

    def create_database(self, name: str, template: str | None = None, tablespace: str | None = None) -> str:
        import psycopg

        conn = self.admin()
        sql = f"CREATE DATABASE {quote_ident(name)}"
        if template is not None:
            sql += f" TEMPLATE {quote_ident(template)}"
        if tablespace is not None:
            sql += f" TABLESPACE {quote_ident(tablespace)}"  # server.memory's, for databases that hold nothing for long
        if conn.info.server_version >= 150000:
            # A plain file copy: three times faster than the default WAL-logged
            # copy for the small databases the shadow makes (fsync is off).
            sql += " STRATEGY FILE_COPY"
        try:
            conn.execute(sql)
        except (psycopg.errors.ObjectInUse, psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            # A template someone is connected to (the caller copies it another way), or a name another process
            # created at the same moment (a cached state of the same content): the caller's to judge, not a refusal.
            raise
        except psycopg.Error as exc:
            raise _refused(self, "create", name, exc) from None
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        try:
            self._sessions_gone(name)
            self.admin().execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
        except psycopg.Error as exc:
            raise _refused(self, "drop", name, exc) from None

    def _sessions_gone(self, name: str) -> None:
        """DROP DATABASE sleeps 100 ms at a time while sessions on the database are still there, and the sessions a
        caller has just closed are, for the few milliseconds their server processes take to exit: wait for those here,
        a few milliseconds at a time (a session that stays longer is ended by FORCE)."""
        for _ in range(_CLOSING_POLLS):
            row = self.admin().execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchone()
            if not (row and row[0]):
                return
            time.sleep(0.004)

    def database_exists(self, name: str) -> bool:
        return self.admin().execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None

    @contextmanager
    def scratch(self, template: str | None = None, tablespace: str | None = None) -> Iterator[str]:
        """A new empty database (or a copy of `template`), dropped afterwards."""
        name = SCRATCH_PREFIX + uuid.uuid4().hex[:16]
        url = self.create_database(name, template, tablespace)
        try:
            yield url
        finally:
            self.drop_database(name)


def _refused(server: ShadowServer, verb: str, name: str, exc: Exception) -> ServerError:
    message = (getattr(getattr(exc, "diag", None), "message_primary", None) or str(exc)).strip()
    return ServerError(
        "TM306",
        f"the shadow server {display_dsn(server.admin_url)} refused to {verb} scratch database {name}: {message}",
        "give the shadow's role CREATEDB (ALTER ROLE name CREATEDB), or leave shadow_database_url empty for the embedded server",
    )

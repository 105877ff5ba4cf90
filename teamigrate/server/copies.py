"""Copies of a database on its own server: made by template, swapped in by renaming, described by their comments."""

from __future__ import annotations

import uuid

import psycopg
from psycopg.conninfo import make_conninfo

from teamigrate.database import connection_parameters, quote_ident
from teamigrate.server.shadow import ShadowServer

# Connected to from the same server to copy and rename a database, which no session may be connected to then.
_MAINTENANCE_DATABASES = ("postgres", "template1")

_SESSIONS = """
SELECT pid, coalesce(nullif(application_name, ''), '(no application_name)'), coalesce(usename, '')
FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() ORDER BY pid
"""


class DatabaseCopies:
    """The server of `url`, seen from a maintenance database, for copies of `url`'s database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.database = connection_parameters(url).dbname
        self._server: ShadowServer | None = None

    @property
    def server(self) -> ShadowServer:
        if self._server is None:
            error: psycopg.Error | None = None
            for name in _MAINTENANCE_DATABASES:
                server = ShadowServer(make_conninfo(self.url, dbname=name))
                try:
                    server.admin()
                except psycopg.Error as exc:
                    error = exc
                    continue
                self._server = server
                break
            else:
                assert error is not None
                raise error
        assert self._server is not None
        return self._server

    def sessions(self, name: str | None = None) -> list[tuple[int, str, str]]:
        """(pid, application_name, user) of every other session connected to `name` (default: the database)."""
        return [(int(pid), str(app), str(user)) for pid, app, user in self.server.admin().execute(_SESSIONS, (name or self.database,)).fetchall()]

    def size(self, name: str | None = None) -> int:
        row = self.server.admin().execute("SELECT pg_database_size(%s)", (name or self.database,)).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def copy(self, name: str, comment: str) -> None:
        """`name` as a template copy of the database (PostgreSQL refuses while anyone is connected to it); an older `name` goes once the copy is made."""
        scratch = _scratch_name()
        self.server.create_database(scratch, template=self.database)
        self._rename_in(scratch, name, comment)

    def set_comment(self, name: str, comment: str) -> None:
        self.server.admin().execute(f"COMMENT ON DATABASE {quote_ident(name)} IS {_literal(comment)}")

    def listed(self, prefix: str) -> list[tuple[str, str | None, int]]:
        """(name, comment, size in bytes) of the databases whose name starts with `prefix`."""
        rows = self.server.admin().execute(
            "SELECT datname, shobj_description(oid, 'pg_database'), pg_database_size(oid) FROM pg_database"
            " WHERE starts_with(datname, %s) ORDER BY datname",
            (prefix,),
        ).fetchall()
        # A database being dropped meanwhile has no size (NULL): it is not listed.
        return [(name, comment, int(size)) for name, comment, size in rows if size is not None]

    def replace_with(self, source: str, keep_as: str, comment: str) -> None:
        """Make the database a copy of `source`; the database as it was is kept as `keep_as` (with `comment`).

        The copy is made first under a scratch name; the two renames then run
        in one transaction, so a failure at any step leaves the database as it
        was, under its own name. An older `keep_as` is dropped after.
        """
        scratch = _scratch_name()
        self.server.create_database(scratch, template=source)
        try:
            self._carry_settings(scratch)
        except BaseException:
            self.server.drop_database(scratch)
            raise
        self._rename_in(self.database, keep_as, comment, then=(scratch, self.database))

    def _carry_settings(self, target: str) -> None:
        """The database's `ALTER DATABASE … SET` and `ALTER ROLE … IN DATABASE … SET` settings, and its owner, onto `target`.

        They belong to the database's OID, which a template copy does not
        share: without them a restored database would lose its search_path.
        """
        conn = self.server.admin()
        rows = conn.execute(
            "SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole) END, unnest(s.setconfig)"
            " FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = %s ORDER BY 1 NULLS FIRST",
            (self.database,),
        ).fetchall()
        for role, item in rows:
            name, _, value = item.partition("=")
            where = f"DATABASE {quote_ident(target)}" if role is None else f"ROLE {quote_ident(role)} IN DATABASE {quote_ident(target)}"
            conn.execute(f"ALTER {where} SET {quote_ident(name)} TO {setting_value(name, value)}")
        owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (self.database,)).fetchone()
        if owner is not None:
            try:
                conn.execute(f"ALTER DATABASE {quote_ident(target)} OWNER TO {quote_ident(owner[0])}")
            except psycopg.errors.InsufficientPrivilege:
                pass  # then renaming the database fails too, and sync says why

    def _rename_in(self, source: str, name: str, comment: str, then: tuple[str, str] | None = None) -> None:
        """Rename `source` to `name` (an older `name` dropped after), and `then` one more, in one transaction; on failure the scratch copy goes."""
        server = self.server
        scratch = then[0] if then is not None else source
        trash = _scratch_name()
        conn = server.admin()
        try:
            with conn.transaction():
                if server.database_exists(name):
                    conn.execute(f"ALTER DATABASE {quote_ident(name)} RENAME TO {quote_ident(trash)}")
                conn.execute(f"ALTER DATABASE {quote_ident(source)} RENAME TO {quote_ident(name)}")
                conn.execute(f"COMMENT ON DATABASE {quote_ident(name)} IS {_literal(comment)}")
                if then is not None:
                    conn.execute(f"ALTER DATABASE {quote_ident(then[0])} RENAME TO {quote_ident(then[1])}")
        except BaseException:
            server.drop_database(scratch)
            raise
        server.drop_database(trash)

    def drop(self, name: str) -> None:
        self.server.drop_database(name)

    def close(self) -> None:
        if self._server is not None:
            self._server.admin().close()


# Settings whose stored value is a list of separately quoted items (pg_dumpall's makeAlterConfigCommand).
_LIST_SETTINGS = frozenset({"search_path", "temp_tablespaces", "session_preload_libraries", "shared_preload_libraries", "local_preload_libraries", "unix_socket_directories"})


def setting_value(name: str, stored: str) -> str:
    """SQL for a value as pg_db_role_setting stores it: one literal, or for a list setting one literal per item."""
    if name.lower() not in _LIST_SETTINGS:
        return _literal(stored)
    items: list[str] = []
    current, quoted, index = "", False, 0
    while index < len(stored):
        char = stored[index]
        if char == '"':
            if quoted and stored[index + 1 : index + 2] == '"':
                current += '"'
                index += 1
            else:
                quoted = not quoted
        elif char == "," and not quoted:
            items.append(current.strip())
            current = ""
        else:
            current += char
        index += 1
    items.append(current.strip())
    return ", ".join(_literal(item) for item in items if item) or "''"


def _scratch_name() -> str:
    return "tmswap_" + uuid.uuid4().hex[:16]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


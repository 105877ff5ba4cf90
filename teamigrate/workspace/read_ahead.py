"""Schema files loaded into the shadow's empty database and read over libpq, begun before psycopg is imported (#17).

`check` after a hand-written migration waits on one thing: schema.sql loaded
into the kept empty database and introspected. Through psycopg, that load could
begin only once psycopg and the differ were imported (0.1 s of a 0.3 s check);
through libpq (teamigrate/libpq.py) it begins as soon as `check` knows the schema
store lacks it, and the server loads while Python imports the rest. The catalog
is then read on the same session (the load is visible only inside its
transaction) by introspection's own queries, each value turned into what
psycopg's loaders give, and the model built from those rows as from psycopg's.

Anything out of the ordinary gives no rows, and the reader does what it did
before, psycopg's way: a file that fails (its error names the file and line), a
file that controls transactions, an empty database missing or not where it
belongs, a column type this module does not read.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from teamigrate.workspace.store import EMPTY_DATABASE, SchemaStore, files_parts, schema_key

if TYPE_CHECKING:
    from teamigrate.config import Config
    from teamigrate.libpq import Session
    from teamigrate.schema.introspect import CatalogRows

# Words that begin a statement ending or opening a transaction (a file holding one is loaded psycopg's way:
# reader._load_files sends it to a scratch database), or a COPY, whose data psycopg's way reports.
_LEFT_TO_PSYCOPG = re.compile(r"(?:^|;)\s*(?:BEGIN|COMMIT|ROLLBACK|ABORT|END|START|PREPARE|SAVEPOINT|RELEASE|COPY)\b", re.IGNORECASE)


class FilesAhead:
    """The catalog rows of `files` loaded into the empty database, being read on a thread of its own."""

    def __init__(self, config: Config, files: Sequence[tuple[str, str]], exclude_tables: Sequence[tuple[str, str]]) -> None:
        self.files = tuple(files)
        self.exclude_tables = tuple(exclude_tables)
        self.key: str | None = None  # the schema store's key of what was loaded, once known
        self._rows: CatalogRows | None = None
        self._done = threading.Event()
        # A daemon thread: one nobody asks for (the store had the schema after all) does not hold the process.
        threading.Thread(target=self._run, args=(config,), name="files-ahead", daemon=True).start()

    def rows(self, key: str) -> CatalogRows | None:
        """The rows, when what was loaded is what `key` names (the same files, server, code and excluded tables)."""
        self._done.wait()
        return self._rows if self.key == key else None

    def _run(self, config: Config) -> None:
        try:
            self._rows = self._read(config)
        except Exception:  # noqa: BLE001 - an optimisation only: the reader loads the files its own way
            self._rows = None
        finally:
            self._done.set()

    def _read(self, config: Config) -> CatalogRows | None:
        from teamigrate import libpq
        from teamigrate.server.shadow import ShadowServer

        if any(_LEFT_TO_PSYCOPG.search(_code(text)) for _, text in self.files):
            return None
        library = libpq.load()
        if library is None:
            return None
        shadow = ShadowServer.for_config(config)
        session = library.connect(shadow.database_url(EMPTY_DATABASE))
        try:
            if session.server_version < 150000 or not _where_it_belongs(session, shadow.cluster is not None):
                return None
            key = schema_key("files", shadow.admin_url, session.server_version, self.exclude_tables, *files_parts(self.files))
            if (SchemaStore().folder / f"{key}.pickle").is_file():
                return None  # the reader takes it from the store
            session.send("BEGIN")
            if not _load(session, self.files):
                return None
            if not session.in_transaction:
                # Something ended the transaction after all: the empty database may hold it; never use it again as it is.
                session.close()
                _drop_empty(library, shadow.admin_url)
                return None
            rows = _catalog_rows(session)
            session.send("ROLLBACK")
            self.key = key
            return rows
        finally:
            session.close()


def _drop_empty(library: Any, admin_url: str) -> None:
    from teamigrate.database import quote_ident

    admin = library.connect(admin_url)
    try:
        admin.send(f"DROP DATABASE IF EXISTS {quote_ident(EMPTY_DATABASE)} WITH (FORCE)")
    finally:
        admin.close()


def _where_it_belongs(session: Session, ours: bool) -> bool:
    """Whether the empty database is where reader._empty_database keeps it (else the reader moves it first)."""
    from teamigrate.server.memory import ENV_MEMORY, TABLESPACE

    in_memory = ours and os.environ.get(ENV_MEMORY) != "0" and sys.platform.startswith("linux")
    found = session.query("SELECT t.spcname FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = current_database()")
    return bool(found) and (found[0][0] == TABLESPACE) == in_memory


def _load(session: Session, files: Sequence[tuple[str, str]]) -> bool:
    """The files run as reader's load_sql_into runs them (each a simple query in a savepoint); False when one fails."""
    from teamigrate.libpq import QueryFailed

    try:
        for _, text in files:
            session.send("SAVEPOINT teamigrate_file")
            if text.strip():
                session.send(text)
            session.send("RELEASE SAVEPOINT teamigrate_file")
    except QueryFailed:
        if session.in_transaction and not session.broken:
            session.send("ROLLBACK")
        return False
    return True


def _catalog_rows(session: Session) -> CatalogRows:
    from teamigrate.schema.introspect import QUERIES, CatalogRows, query

    # As schema.introspect reads a caller's transaction: pg_catalog alone on the path, so every deparser qualifies names.
    session.send("SET LOCAL search_path = pg_catalog")
    read: dict[str, list[tuple[Any, ...]]] = {}
    for name in QUERIES:
        texts = session.query(query(name))
        loaders = [_LOADERS[oid] for oid in session.column_types]  # KeyError: a type not read here, psycopg's way then
        read[name] = [tuple(None if value is None else load(value) for load, value in zip(loaders, row)) for row in texts]
    return CatalogRows(read)


def _code(text: str) -> str:
    from teamigrate.history.batches import code_only

    return code_only(text)


def _boolean(text: str) -> bool:
    return text == "t"


def _array(element: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    """A one-dimensional array in PostgreSQL's text form, as psycopg's list; other forms raise (psycopg's way then)."""

    def load(text: str) -> list[Any]:
        if not (text.startswith("{") and text.endswith("}")):
            raise ValueError("an array with bounds")
        body, items, at = text[1:-1], [], 0
        while at < len(body):
            if body[at] == '"':
                at += 1
                chars = []
                while body[at] != '"':
                    if body[at] == "\\":
                        at += 1
                    chars.append(body[at])
                    at += 1
                items.append(element("".join(chars)))
                at += 1
            elif body[at] == "{":
                raise ValueError("a multidimensional array")
            else:
                end = body.find(",", at)
                end = len(body) if end < 0 else end
                token = body[at:end]
                items.append(None if token == "NULL" else element(token))
                at = end
            if at < len(body):
                if body[at] != ",":
                    raise ValueError("not an array")
                at += 1
        return items

    return load


# What psycopg's default loaders make of each type introspection's queries return, by type oid.
_LOADERS: dict[int, Callable[[str], Any]] = {
    16: _boolean, 18: str, 19: str, 25: str, 1043: str,  # bool, "char", name, text, varchar
    20: int, 21: int, 23: int, 26: int,  # int8, int2, int4, oid
    114: json.loads, 3802: json.loads,  # json, jsonb
    1000: _array(_boolean), 1002: _array(str), 1003: _array(str), 1009: _array(str), 1015: _array(str),
    1005: _array(int), 1007: _array(int), 1016: _array(int), 1028: _array(int),
}

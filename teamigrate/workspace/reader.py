"""The schema of a history or of schema files, read the cheapest way that is still exact.

1. From the schema store: introspected schemas kept (pickled) in teamigrate's
   folder, keyed by what produced them: the chained hash of the last migration
   (which covers every byte and id of the history before it) or the schema
   files' names and bytes, with the shadow server's address and version,
   teamigrate's version and the tables left out.
2. Else built in the shadow without creating a database: the rest of a history
   runs on the replay cache's nearest template, schema files on an empty
   database kept for the purpose, each in a transaction that is rolled back
   once the schema is read.
3. Else (a migration or file that cannot run in a transaction, a long rest of
   history, no template yet) in a scratch database as before.

`check` loads its schema files ahead, over libpq, before psycopg is imported
(read_ahead.py): of_files takes those catalog rows when they are of the same
files on this server, else loads them as in 2. and 3.

`check` after one new migration thus creates no database at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from teamigrate.database import TransactionEnded, connect, quote_ident, rolled_back
from teamigrate.history.apply import controls_transaction, replay, replay_into
from teamigrate.history.migrations import Migration
from teamigrate.history.sumfile import SumFile
from teamigrate.schema.introspect import CatalogRows, introspect
from teamigrate.schema.model import Schema
from teamigrate.workspace.files import SqlFile, load_sql_files, load_sql_into
from teamigrate.server.memory import TABLESPACE, memory_tablespace
from teamigrate.server.shadow import ShadowServer
from teamigrate.workspace.replay_cache import ReplayCache
from teamigrate.workspace.read_ahead import FilesAhead
from teamigrate.workspace.store import EMPTY_DATABASE, SchemaStore, files_parts, schema_key

__all__ = ["EMPTY_DATABASE", "SchemaReader", "SchemaStore", "clear_caches"]


class SchemaReader:
    """Schemas of histories and schema files on one shadow server."""

    def __init__(self, shadow: ShadowServer, exclude_tables: Sequence[tuple[str, str]], store: SchemaStore | None = None) -> None:
        self.shadow = shadow
        self.exclude_tables = tuple(exclude_tables)
        self.store = store if store is not None else SchemaStore()

    def _key(self, kind: str, *parts: bytes) -> str:
        return schema_key(kind, self.shadow.admin_url, self.shadow.admin().info.server_version, self.exclude_tables, *parts)

    def _read(self, conn: psycopg.Connection) -> Schema:
        return introspect(conn, exclude_tables=self.exclude_tables)

    def _history_key(self, chain: Sequence[str]) -> str:
        return self._key("history", (chain[-1] if chain else "").encode())

    def _files_key(self, files: Sequence[SqlFile]) -> str:
        return self._key("files", *files_parts([(f.name, f.text) for f in files]))

    def of_history(self, migrations: Sequence[Migration]) -> Schema:
        """The schema after replaying `migrations` from an empty database."""
        chain = SumFile.compute(migrations).hashes

        def apply_in(conn: psycopg.Connection, batch: Sequence[Migration]) -> None:
            # Statement by statement, so that check_executable refuses a COMMIT hidden behind a comment.
            replay_into(conn, batch, whole_files=False)

        return self.store.get_or_build(self._history_key(chain), lambda: ReplayCache(self.shadow).read_after(migrations, chain, replay, apply_in, self._read))

    def of_files(self, files: Sequence[SqlFile], ahead: FilesAhead | None = None) -> Schema:
        """The schema that loading `files` into an empty database gives; read by `ahead` when it loaded these files here."""
        key = self._files_key(files)
        return self.store.get_or_build(key, lambda: self._load_files(files, ahead.rows(key) if ahead is not None else None))

    # A caller that has just built one of these schemas itself (`new`) keeps it for the
    # next reader (the `check` of the commit). It must have built it exactly as of_history
    # or of_files would: the same bytes, run the same way, introspected with the same
    # exclude_tables on this shadow server; the store trusts its keys.

    def remember_history(self, migrations: Sequence[Migration], schema: Schema) -> None:
        """Keep `schema` as what of_history(migrations) gives."""
        self.store.put(self._history_key(SumFile.compute(migrations).hashes), schema)

    def remember_files(self, files: Sequence[SqlFile], schema: Schema) -> None:
        """Keep `schema` as what of_files(files) gives: the files loaded in this order, under these names."""
        self.store.put(self._files_key(files), schema)

    def _load_files(self, files: Sequence[SqlFile], loaded: CatalogRows | None = None) -> Schema:
        if loaded is not None:
            return loaded.schema(exclude_tables=self.exclude_tables)
        if not any(controls_transaction(f.text) for f in files):
            found = self._files_in_transaction(files)
            if found is not None:
                return found
        with self.shadow.scratch() as url:
            load_sql_files(url, files)
            with connect(url) as conn:
                return self._read(conn)

    def _files_in_transaction(self, files: Sequence[SqlFile]) -> Schema | None:
        """The files loaded into the empty database in a transaction rolled back after; None when they cannot run in one."""
        empty = self._empty_database()
        with connect(self.shadow.database_url(empty)) as conn:
            try:
                with rolled_back(conn):
                    load_sql_into(conn, files)
                    return self._read(conn)
            except (psycopg.errors.ActiveSqlTransaction, psycopg.errors.DiskFull):
                return None  # a scratch database on disk loads them (DiskFull: the memory tablespace is full)
            except TransactionEnded:
                pass
        # Something committed into the empty database after all: never use it again as it is.
        self.shadow.drop_database(empty)
        return None

    def _empty_database(self) -> str:
        """The empty database's name, made when missing: in memory where the server can have a tablespace there (server.memory)."""
        tablespace = memory_tablespace(self.shadow)
        row = self.shadow.admin().execute(
            "SELECT t.spcname FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace WHERE d.datname = %s", (EMPTY_DATABASE,),
        ).fetchone()
        # Made on disk before, or in memory that is short now (or TEAMIGRATE_MEMORY_TABLESPACE=0): made again where it belongs.
        if row is not None and (row[0] != tablespace if tablespace is not None else row[0] == TABLESPACE):
            try:  # unless a command is using it right now (IF EXISTS: or another has just dropped it)
                self.shadow.admin().execute(f"DROP DATABASE IF EXISTS {quote_ident(EMPTY_DATABASE)}")
                row = None
            except psycopg.errors.ObjectInUse:
                pass
        if row is None:
            try:
                self.shadow.create_database(EMPTY_DATABASE, tablespace=tablespace)
            except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                pass  # another process made it meanwhile
        return EMPTY_DATABASE


def clear_caches(shadow: ShadowServer) -> tuple[int, int]:
    """Drop the replay cache's templates and the empty database, and empty the schema store: (templates, schemas)."""
    templates = ReplayCache(shadow).clear()
    shadow.drop_database(EMPTY_DATABASE)
    return templates, SchemaStore().clear()

"""Databases a worker empties and hands out again instead of making new ones, each with one session kept open.

CREATE DATABASE costs 0.1-1 s (PostgreSQL 15 copies its template through the WAL) and a new session a connection and
a cold catalog cache; emptying a database costs milliseconds. An emptied database must be as good as a new one for
pg_dump, the oracle: after the reset a catalog query looks for anything user-made that is left (an event trigger, a
cast, a database-level setting, a missing plpgsql, ...), and such a database is dropped and a new one made instead.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from teamigrate.database import connect
from teamigrate.errors import TeamigrateError
from teamigrate.server.shadow import ShadowServer

# Normalised pg_dump of an emptied database equals a new one's (the public schema is made as initdb makes it).
RESET_SQL = """
DO $teamigrate$ DECLARE r record; BEGIN
  FOR r IN SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' LOOP EXECUTE format('DROP EXTENSION %I CASCADE', r.extname); END LOOP;
  FOR r IN SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', r.nspname);
  END LOOP;
END $teamigrate$;
CREATE SCHEMA public AUTHORIZATION pg_database_owner;
COMMENT ON SCHEMA public IS 'standard public schema';
GRANT USAGE ON SCHEMA public TO PUBLIC;
"""

# Objects made after initdb (oid 16384 and up) that the reset does not remove, in any catalog a fixture could reach.
_USER_MADE = ("pg_class", "pg_proc", "pg_type", "pg_extension", "pg_event_trigger", "pg_publication",
              "pg_foreign_data_wrapper", "pg_foreign_server", "pg_user_mapping", "pg_cast", "pg_language",
              "pg_collation", "pg_operator", "pg_opclass", "pg_opfamily", "pg_am", "pg_conversion", "pg_transform",
              "pg_ts_config", "pg_ts_dict", "pg_ts_parser", "pg_ts_template", "pg_default_acl", "pg_statistic_ext",
              "pg_largeobject_metadata")
LEFTOVERS_SQL = " UNION ALL ".join(
    [f"SELECT '{catalog}' FROM {catalog} WHERE oid >= 16384" for catalog in _USER_MADE]
    + ["SELECT 'pg_namespace' FROM pg_namespace WHERE oid >= 16384 AND nspname <> 'public' AND nspname !~ '^pg_(toast_)?temp_'",
       "SELECT 'pg_db_role_setting' FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())",
       "SELECT 'no plpgsql' WHERE NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'plpgsql')"]
)


def reset_session(session: psycopg.Connection[Any]) -> None:
    """What a case's SQL set for its session (a role, a search_path) must not colour the next one's reading."""
    session.execute(b"RESET ALL; RESET SESSION AUTHORIZATION")


def load_into(session: psycopg.Connection[Any], sql: str) -> None:
    # One simple-protocol query: the file loads as a whole or not at all.
    try:
        session.execute(sql.encode())
    finally:
        if session.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            session.rollback()  # a file that leaves its own transaction open
        reset_session(session)


@dataclass
class Slot:
    """One database of the pool and the session kept on it."""

    server: ShadowServer
    name: str
    url: str
    session: psycopg.Connection[Any]


class DatabasePool:
    """Per worker, the databases its cases load into: `take` hands out an empty one with a session, `give_back`
    returns it for the next `take` on that server; all dropped by `drop_all`."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._names = itertools.count(1)
        self._free: dict[str, list[Slot]] = {}
        self._slots: list[Slot] = []

    def take(self, server: ShadowServer) -> Slot:
        free = self._free.setdefault(server.admin_url, [])
        while free:
            slot = free.pop()
            try:
                if self._emptied(slot):
                    return slot
            except (psycopg.Error, TeamigrateError):
                pass  # dropped, or its server stopped meanwhile
            self._drop(slot)
        name = f"{self._prefix}_{os.getpid()}_{next(self._names)}"
        url = server.create_database(name)
        slot = Slot(server, name, url, connect(url))
        self._slots.append(slot)
        return slot

    @contextmanager
    def borrowed(self, server: ShadowServer, count: int) -> Iterator[list[str]]:
        """`count` empty databases' URLs, given back afterwards."""
        slots = [self.take(server) for _ in range(count)]
        try:
            yield [slot.url for slot in slots]
        finally:
            for slot in slots:
                self.give_back(slot)

    def give_back(self, slot: Slot) -> None:
        self._free.setdefault(slot.server.admin_url, []).append(slot)

    def _emptied(self, slot: Slot) -> bool:
        if slot.session.closed or slot.session.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            slot.session.close()
            slot.session = connect(slot.url)
        reset_session(slot.session)
        slot.session.execute(RESET_SQL.encode())
        return slot.session.execute(LEFTOVERS_SQL.encode()).fetchone() is None

    def _drop(self, slot: Slot) -> None:
        self._slots.remove(slot)
        slot.session.close()
        slot.server.drop_database(slot.name)

    def drop_all(self) -> None:
        self._free.clear()
        for slot in list(self._slots):
            try:
                self._drop(slot)
            except TeamigrateError:
                pass  # its server is stopped: nothing left to drop on it

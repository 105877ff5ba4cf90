"""The pool the fixture and peer cases load into: an emptied database is, to pg_dump, a new one; one the reset cannot
empty is replaced."""

from __future__ import annotations

from typing import Any

from teamigrate.server.shadow import ShadowServer
from tests.schema.pgdump_oracle import dump_schema, normalise
from tests.schema.reused_databases import DatabasePool, load_into

EVERYTHING_A_SCHEMA_HOLDS = """
CREATE EXTENSION pg_trgm;
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('ok', 'sad');
CREATE DOMAIN app.positive AS integer CHECK (VALUE > 0);
CREATE SEQUENCE app.counter;
CREATE TABLE app.people (id integer PRIMARY KEY, name text, mood app.mood, n app.positive DEFAULT nextval('app.counter'));
CREATE INDEX people_name ON app.people USING gin (name gin_trgm_ops);
CREATE VIEW public.names AS SELECT name FROM app.people;
CREATE FUNCTION public.shout(t text) RETURNS text LANGUAGE sql AS $$ SELECT upper(t) $$;
COMMENT ON SCHEMA public IS 'changed';
REVOKE USAGE ON SCHEMA public FROM PUBLIC;
SET search_path = app;
"""


def databases(server: ShadowServer) -> set[str]:
    return {row[0] for row in server.admin().execute("SELECT datname FROM pg_database").fetchall()}


def test_an_emptied_database_dumps_as_a_new_one_and_its_session_is_reset(shadow_server: ShadowServer, make_database: Any) -> None:
    pool = DatabasePool("tmpooltest")
    try:
        slot = pool.take(shadow_server)
        new_dump = normalise(dump_schema(slot.url))
        load_into(slot.session, EVERYTHING_A_SCHEMA_HOLDS)
        assert normalise(dump_schema(slot.url)) != new_dump
        slot.session.execute("SET ROLE pg_database_owner; SET search_path = nowhere")
        pool.give_back(slot)
        again = pool.take(shadow_server)
        assert again.name == slot.name, "the emptied database was not used again"
        assert normalise(dump_schema(again.url)) == new_dump == normalise(dump_schema(make_database()))
        assert again.session.execute("SELECT current_user = session_user, current_setting('search_path')").fetchone() == (True, '"$user", public')
    finally:
        pool.drop_all()
    assert slot.name not in databases(shadow_server)


def test_a_database_the_reset_cannot_empty_is_replaced(shadow_server: ShadowServer) -> None:
    pool = DatabasePool("tmpooltest")
    try:
        slot = pool.take(shadow_server)
        # A database-level setting: no DROP SCHEMA removes it, and a new session would start with it.
        load_into(slot.session, f"ALTER DATABASE {slot.name} SET work_mem = '7MB'")
        pool.give_back(slot)
        again = pool.take(shadow_server)
        assert again.name != slot.name
        assert slot.name not in databases(shadow_server)
        assert again.session.execute("SELECT current_setting('work_mem')").fetchone() != ("7MB",)
    finally:
        pool.drop_all()

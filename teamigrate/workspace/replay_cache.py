"""The replay cache: the schema after each replayed prefix of history, kept as a template database.

A prefix is named by the chained hash of its last migration (the line of
teamigrate.sum), which covers every earlier id and byte, so a branch that adds
one migration to a long history replays one migration.

When only a few migrations follow the nearest cached prefix and all of them
run in a transaction, `read_after` does not copy the template at all: it runs
them on the template itself in a transaction that is rolled back once the
caller has read what it needs (a check after one new migration creates no
database).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any, TypeVar

import psycopg

from teamigrate.database import TransactionEnded, connect, quote_ident, rolled_back
from teamigrate.errors import TeamigrateError
from teamigrate.server.memory import memory_tablespace
from teamigrate.server.shadow import ShadowServer

T = TypeVar("T")

CACHE_PREFIX = "tmcache_"
DEFAULT_LIMIT = 24
# On a cold replay, also keep every Nth prefix: a later branch that rewrites
# the tail of history then starts from the nearest checkpoint.
CHECKPOINT_EVERY = 100
# At most this many migrations past a cached prefix are run on the template
# itself, in a transaction rolled back after; more are replayed into a copy,
# which is then cached.
TAIL_IN_TRANSACTION = 10
# At most this many migrations past a cached prefix are replayed into a copy in memory (server.memory).
TAIL_IN_MEMORY = 50


def cache_name(chained_hash: str) -> str:
    """A database name from a sum line's hash (`h1:<base64>`): hex, within PostgreSQL's 63 bytes."""
    encoded = chained_hash.removeprefix("h1:")
    try:
        digest = base64.b64decode(encoded, validate=True).hex()
    except ValueError:
        digest = "".join(ch for ch in encoded.lower() if ch.isalnum())
    return CACHE_PREFIX + digest[:48]


class ReplayCache:
    """Template databases on the shadow server, least recently used dropped past `limit`."""

    def __init__(self, shadow: ShadowServer, limit: int = DEFAULT_LIMIT) -> None:
        self.shadow = shadow
        self.limit = limit

    def cached(self) -> dict[str, float]:
        """Cache database -> last use (epoch seconds, kept as the database's comment)."""
        rows = self.shadow.admin().execute(
            "SELECT d.datname, coalesce(shobj_description(d.oid, 'pg_database'), '0')"
            " FROM pg_database d WHERE d.datname LIKE %s",
            (CACHE_PREFIX + "%",),
        ).fetchall()
        return {name: _float(comment) for name, comment in rows}

    @contextmanager
    def replayed(
        self,
        migrations: Sequence[Any],
        chain: Sequence[str],
        apply: Callable[[str, Sequence[Any]], None],
    ) -> Iterator[str]:
        """A scratch database holding the schema after `migrations`; `chain[i]` names prefix i+1.

        `apply(url, migrations)` runs migrations into a database (history's replay).
        """
        assert len(migrations) == len(chain)
        start, template = self.nearest(chain)
        with ExitStack() as stack:
            tablespace = self._scratch_tablespace(template, len(migrations) - start)
            try:
                url = stack.enter_context(self.shadow.scratch(template=template, tablespace=tablespace))
            except psycopg.errors.ObjectInUse:
                # Another command held the template open (read_after) for longer than
                # PostgreSQL waits: replay everything rather than fail.
                start, template, tablespace = 0, None, None
                url = stack.enter_context(self.shadow.scratch())
            if template is not None:
                self._touch(template)
            rest = migrations[start:]
            if rest:
                # A short tail past a template is not kept as a template of its own (a CREATE DATABASE, the most
                # of what `new` and `dev` wait for): read_after runs it on that template, and the next `new` replays it again in ms.
                keep_end = not _runs_in_transaction(template, rest)
                position = start
                for stop in _checkpoints(start, len(migrations)):
                    apply(url, migrations[position:stop])
                    position = stop
                    if stop < len(migrations) or keep_end or stop % CHECKPOINT_EVERY == 0:
                        self._store(url, cache_name(chain[stop - 1]), on_disk=tablespace is not None)
                self._evict()
            yield url

    def nearest(self, chain: Sequence[str]) -> tuple[int, str | None]:
        """The longest cached prefix: how many migrations it holds, and its template (None: start empty)."""
        cached = self.cached()
        for index in range(len(chain), 0, -1):
            name = cache_name(chain[index - 1])
            if name in cached:
                return index, name
        return 0, None

    def read_after(
        self,
        migrations: Sequence[Any],
        chain: Sequence[str],
        apply: Callable[[str, Sequence[Any]], None],
        apply_in: Callable[[psycopg.Connection, Sequence[Any]], None],
        read: Callable[[psycopg.Connection], T],
    ) -> T:
        """`read(conn)` on a database holding the schema after `migrations`, made the cheapest way the cache allows.

        `apply_in(conn, migrations)` runs migrations on an open connection, inside
        the caller's transaction; `apply(url, migrations)` as for `replayed`.
        """
        start, template = self.nearest(chain)
        rest = migrations[start:]
        if template is not None and _runs_in_transaction(template, rest):
            self._touch(template)
            try:
                return _read_in_transaction(self.shadow.database_url(template), rest, apply_in, read)
            except _TemplateGone:
                pass  # dropped under us (evicted by another process, or `cache clear`): replay into a copy
            except TransactionEnded:  # something committed: the template holds more than its prefix now
                self.shadow.drop_database(template)
                return self.read_after(migrations, chain, apply, apply_in, read)
        with self.replayed(migrations, chain, apply) as url, connect(url) as conn:
            return read(conn)

    def clear(self) -> int:
        names = list(self.cached())
        for name in names:
            self.shadow.drop_database(name)
        return len(names)

    def _scratch_tablespace(self, template: str | None, rest: int) -> str | None:
        """The memory tablespace for a copy of `template` that replays a short rest (server.memory: a copy there takes 20 ms
        instead of 0.3-0.6 s on a virtual disk); None, on disk, for a long replay whose size is not known beforehand."""
        if template is None or rest > TAIL_IN_MEMORY:
            return None
        row = self.shadow.admin().execute("SELECT pg_database_size(%s)", (template,)).fetchone()
        return memory_tablespace(self.shadow, needs=4 * int(row[0]) if row else 0)

    def _store(self, url: str, name: str, *, on_disk: bool = False) -> None:
        """Keep `url`'s database as the template `name`; `on_disk`: in the server's default tablespace, not the copy's (memory)."""
        from teamigrate.database import url_database

        try:
            self.shadow.create_database(name, template=url_database(url), tablespace="pg_default" if on_disk else None)
            self._touch(name)
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            pass  # another process cached the same prefix meanwhile: same content
        except psycopg.errors.ObjectInUse:
            pass  # the source was busy; caching is an optimisation only

    def _touch(self, name: str) -> None:
        self.shadow.admin().execute(f"COMMENT ON DATABASE {quote_ident(name)} IS '{time.time():.3f}'")

    def _evict(self) -> None:
        cached = self.cached()
        for name, _ in sorted(cached.items(), key=lambda item: item[1])[: max(0, len(cached) - self.limit)]:
            try:
                self.shadow.drop_database(name)
            except psycopg.Error:
                pass  # in use as a template right now; next time


class _TemplateGone(Exception):
    pass


def _read_in_transaction(
    url: str,
    migrations: Sequence[Any],
    apply_in: Callable[[psycopg.Connection, Sequence[Any]], None],
    read: Callable[[psycopg.Connection], T],
) -> T:
    try:
        conn = connect(url)
    except TeamigrateError:
        raise _TemplateGone from None
    with conn:
        try:
            with rolled_back(conn):  # nothing is kept: the template stays as it was
                apply_in(conn, migrations)
                return read(conn)
        except (psycopg.Error, TeamigrateError):
            if conn.broken or conn.closed:
                raise _TemplateGone from None
            raise


def _runs_in_transaction(template: str | None, rest: Sequence[Any]) -> bool:
    """Whether read_after runs `rest` on `template` itself, in a transaction rolled back after."""
    return template is not None and len(rest) <= TAIL_IN_TRANSACTION and all(m.transactional for m in rest)


def _checkpoints(start: int, end: int) -> list[int]:
    stops = [n for n in range(start + 1, end) if n % CHECKPOINT_EVERY == 0]
    return [*stops, end]


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


@contextmanager
def replayed_history(shadow: ShadowServer, migrations: Sequence[Any]) -> Iterator[str]:
    """A scratch database holding the schema after `migrations`, from the cache where it can."""
    from teamigrate.history.apply import replay
    from teamigrate.history.sumfile import SumFile

    chain = SumFile.compute(migrations).hashes
    with ReplayCache(shadow).replayed(migrations, chain, lambda url, batch: replay(url, batch)) as url:
        yield url

"""The replay cache: the schema after each replayed prefix of history, kept as a template database.

A prefix is named by the chained hash of its last migration (the line of
teamigrate.sum), which covers every earlier id and byte, so a branch that adds
one migration to a long history replays one migration.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from teamigrate.database import quote_ident
from teamigrate.shadow import ShadowServer

CACHE_PREFIX = "tmcache_"
DEFAULT_LIMIT = 24
# On a cold replay, also keep every Nth prefix: a later branch that rewrites
# the tail of history then starts from the nearest checkpoint.
CHECKPOINT_EVERY = 100


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
        cached = self.cached()
        start = 0
        template: str | None = None
        for index in range(len(chain), 0, -1):
            name = cache_name(chain[index - 1])
            if name in cached:
                start, template = index, name
                break
        with self.shadow.scratch(template=template) as url:
            if template is not None:
                self._touch(template)
            rest = migrations[start:]
            if rest:
                position = start
                for stop in _checkpoints(start, len(migrations)):
                    apply(url, migrations[position:stop])
                    position = stop
                    self._store(url, cache_name(chain[stop - 1]))
                self._evict()
            yield url

    def clear(self) -> int:
        names = list(self.cached())
        for name in names:
            self.shadow.drop_database(name)
        return len(names)

    def _store(self, url: str, name: str) -> None:
        from teamigrate.database import url_database

        try:
            self.shadow.create_database(name, template=url_database(url))
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

    chain = [line.hash for line in SumFile.compute(migrations).lines]
    with ReplayCache(shadow).replayed(migrations, chain, lambda url, batch: replay(url, batch)) as url:
        yield url

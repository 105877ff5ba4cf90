"""The replay cache keeps a replayed prefix as a template only where a later read needs it: a short tail past a template is replayed again instead."""

from __future__ import annotations

from teamigrate.database import connect
from teamigrate.history.apply import replay
from teamigrate.history.migrations import Migration
from teamigrate.history.sumfile import SumFile
from teamigrate.schema.introspect import introspect
from teamigrate.workspace.replay_cache import TAIL_IN_TRANSACTION, ReplayCache, cache_name

EXCLUDE = (("public", "teamigrate_history"),)


def test_a_short_tail_past_a_template_is_not_kept_but_a_long_one_and_a_first_replay_are(shadow_server) -> None:  # type: ignore[no-untyped-def]
    migrations = [Migration(f"20260301{n:06d}_t{n}", f"CREATE TABLE keep_t{n} (id bigint PRIMARY KEY);\n") for n in range(TAIL_IN_TRANSACTION + 3)]
    chain = SumFile.compute(migrations).hashes
    cache = ReplayCache(shadow_server)

    def replayed_tables(count: int) -> set[str]:
        with cache.replayed(migrations[:count], chain[:count], replay) as url, connect(url) as conn:
            return {key[-1] for key in introspect(conn, exclude_tables=EXCLUDE).tables}

    assert replayed_tables(1) == {"keep_t0"}
    assert shadow_server.database_exists(cache_name(chain[0]))  # a first replay is kept

    # Two migrations past that template: replayed, the schema exact, but not kept (a CREATE DATABASE saved).
    assert replayed_tables(3) == {"keep_t0", "keep_t1", "keep_t2"}
    assert not shadow_server.database_exists(cache_name(chain[2]))
    assert cache.nearest(chain[:3]) == (1, cache_name(chain[0]))

    # A tail longer than read_after runs on a template is kept.
    assert len(replayed_tables(len(migrations))) == len(migrations)
    assert shadow_server.database_exists(cache_name(chain[-1]))
    for name in (cache_name(chain[0]), cache_name(chain[-1])):
        shadow_server.drop_database(name)

"""History replayed in the shadow database, through the replay cache, with a progress bar on long replays."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

from teamigrate import output
from teamigrate.history.apply import replay
from teamigrate.history.migrations import Migration
from teamigrate.history.sumfile import SumFile
from teamigrate.server.shadow import ShadowServer
from teamigrate.workspace.replay_cache import ReplayCache


@contextmanager
def replayed(shadow: ShadowServer, migrations: Sequence[Migration], label: str = "replaying") -> Iterator[str]:
    """A scratch database holding the schema after `migrations` (cached prefixes are not replayed again)."""
    chain = SumFile.compute(migrations).hashes
    with ExitStack() as stack:
        # The bar closes once the replay is done, not when the caller is done with the database.
        with output.progress(label, len(migrations)) as bar:

            def apply(url: str, batch: Sequence[Migration]) -> None:
                replay(url, batch, progress=lambda migration: bar.advance(migration.id))

            url = stack.enter_context(ReplayCache(shadow).replayed(migrations, chain, apply))
        yield url

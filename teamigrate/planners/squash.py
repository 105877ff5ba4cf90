"""Pure planning of `squash`: the range it replaces and the id that keeps the squash where the range was."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from teamigrate.errors import MigrationError, TeamigrateError
from teamigrate.history.migrations import Migration, is_migration_id, snake_case


@dataclass(frozen=True)
class SquashRange:
    before: tuple[Migration, ...]
    squashed: tuple[Migration, ...]
    after: tuple[Migration, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.squashed)


def select_range(migrations: Sequence[Migration], from_id: str | None, to_id: str | None) -> SquashRange:
    ids = [m.id for m in migrations]
    for given in (from_id, to_id):
        if given is not None and given not in ids:
            raise MigrationError("TM414", f"{given} is not a migration in this checkout", "`teamigrate status` lists the ids", migration_id=given)
    start = ids.index(from_id) if from_id is not None else 0
    stop = ids.index(to_id) + 1 if to_id is not None else len(ids)
    if stop - start < 2:
        what = f"--from {from_id} comes after --to {to_id}" if stop <= start else "the range holds fewer than two migrations"
        raise TeamigrateError("TM414", f"nothing to squash: {what}", "name a range of at least two migrations with --from ID and --to ID (both included)")
    return SquashRange(tuple(migrations[:start]), tuple(migrations[start:stop]), tuple(migrations[stop:]))


def squash_id(span: SquashRange, name: str) -> str:
    """The last squashed migration's timestamp with the new name: it sorts where the range was."""
    slug = snake_case(name)
    candidate = f"{span.squashed[-1].id.split('_', 1)[0]}_{slug}"
    if not slug or not is_migration_id(candidate):
        raise MigrationError("TM201", f"`{name}` is not a usable migration name", "name it with letters, digits and underscores, e.g. squash_2026_q1")
    if candidate in {m.id for m in (*span.before, *span.after)} or any(m.id >= candidate for m in span.before) or any(m.id <= candidate for m in span.after):
        raise MigrationError(
            "TM415",
            f"the squashed migration {candidate} would not sort between {span.before[-1].id if span.before else 'the start'} and {span.after[0].id if span.after else 'the end'}",
            "choose another --name (ids with the same timestamp sort by name)",
        )
    return candidate


def deploy_sequence(history: Sequence[Migration]) -> tuple[Migration, ...]:
    """The migrations that run when `history` is applied in this order to an empty database, the way deploy counts a squash.

    A squash whose replaced migrations all ran before it is recorded, not run (its
    SQL would create their objects a second time); one that follows only part of
    them is what deploy refuses (TM417), and is refused here too.
    """
    ran: set[str] = set()
    sequence: list[Migration] = []
    for migration in history:
        done = [old for old in migration.replaces if old in ran]
        if migration.replaces and len(done) == len(migration.replaces):
            ran.add(migration.id)
            continue
        if done:
            raise MigrationError(
                "TM541",
                f"{migration.id} replaces {len(migration.replaces)} migrations and follows only {len(done)} of them ({', '.join(done)}): deploy would refuse it (TM417)",
                "squash only migrations that every branch already has (those on the main branch), or keep the old migrations on this branch",
                migration_id=migration.id,
            )
        ran.add(migration.id)
        sequence.append(migration)
    return tuple(sequence)

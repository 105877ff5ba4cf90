"""Pure planning of `baseline --from-prisma`: which migrations Prisma's rows say are applied, and every refusal."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from teamigrate.errors import MigrationError
from teamigrate.history.migrations import Migration
from teamigrate.history.prisma import PrismaRow, plan_prisma_adoption, prisma_checksum_matches

T0 = datetime(2023, 1, 1, 12, tzinfo=timezone.utc)

INIT = Migration("20230101120000_init", 'CREATE TABLE "User" (id serial PRIMARY KEY);\n')
POST = Migration("20230102120000_add_post", 'CREATE TABLE "Post" (id serial PRIMARY KEY);\n')
INDEX = Migration("20230103120000_add_index", 'CREATE INDEX "Post_idx" ON "Post" (id);\n')


def prisma_row(migration: Migration | str, minutes: int, *, finished: bool = True, rolled_back: bool = False, checksum: str | None = None) -> PrismaRow:
    """A row as Prisma Migrate writes it: the migration's folder name and the sha256 hex of its migration.sql."""
    name = migration if isinstance(migration, str) else migration.id
    digest = checksum or (hashlib.sha256(migration.sql_bytes).hexdigest() if isinstance(migration, Migration) else "0" * 64)
    started = T0 + timedelta(minutes=minutes)
    return PrismaRow(str(uuid.uuid4()), name, digest, started, started + timedelta(seconds=1) if finished else None,
                     started + timedelta(seconds=30) if rolled_back else None)


def test_finished_rows_are_applied_rolled_back_attempts_count_for_nothing_the_rest_is_pending() -> None:
    retried = prisma_row(INDEX, 3)
    rows = [prisma_row(INIT, 1), prisma_row(INDEX, 2, finished=False, rolled_back=True), retried]
    plan = plan_prisma_adoption([INIT, POST, INDEX], rows, recorded=())
    assert [(a.migration.id, a.row.finished_at) for a in plan.record] == [(INIT.id, rows[0].finished_at), (INDEX.id, retried.finished_at)]
    assert plan.pending == (POST.id,)
    assert plan.rolled_back == 1 and plan.kept == ()


def test_only_rolled_back_attempts_leave_a_migration_pending() -> None:
    plan = plan_prisma_adoption([INIT], [prisma_row(INIT, 1, finished=False, rolled_back=True)], recorded=())
    assert plan.record == () and plan.pending == (INIT.id,)


def test_a_failed_row_refuses_and_names_it_unless_teamigrate_already_records_that_migration() -> None:
    rows = [prisma_row(INIT, 1), prisma_row(POST, 2, finished=False)]
    with pytest.raises(MigrationError) as refused:
        plan_prisma_adoption([INIT, POST], rows, recorded=())
    assert refused.value.code == "TM422" and POST.id in refused.value.message
    assert f"prisma migrate resolve --rolled-back {POST.id}" in refused.value.hint
    assert f"teamigrate resolve --applied {POST.id}" in refused.value.hint
    # After `teamigrate resolve --applied`, teamigrate's row is the later word.
    plan = plan_prisma_adoption([INIT, POST], rows, recorded={POST.id})
    assert [a.migration.id for a in plan.record] == [INIT.id] and plan.pending == ()


def test_a_checksum_that_is_not_prismas_refuses_and_names_the_migration() -> None:
    edited = Migration(POST.id, POST.sql + "ALTER TABLE \"Post\" ADD title text;\n")
    with pytest.raises(MigrationError) as refused:
        plan_prisma_adoption([INIT, edited], [prisma_row(INIT, 1), prisma_row(POST, 2)], recorded=())
    assert refused.value.code == "TM420" and refused.value.migration_id == POST.id and POST.id in refused.value.message


def test_an_applied_migration_without_a_folder_refuses_and_names_it() -> None:
    with pytest.raises(MigrationError) as refused:
        plan_prisma_adoption([INIT], [prisma_row(INIT, 1), prisma_row(POST, 2)], recorded=())
    assert refused.value.code == "TM421" and POST.id in refused.value.message


def test_a_folder_renamed_since_is_matched_by_its_sql() -> None:
    # Prisma's own baselining guide names the folder 0_init, which is no teamigrate id.
    renamed = Migration("20200101000000_init", INIT.sql)
    plan = plan_prisma_adoption([renamed, POST], [prisma_row("0_init", 1, checksum=hashlib.sha256(INIT.sql_bytes).hexdigest())], recorded=())
    assert [(a.migration.id, a.renamed_from) for a in plan.record] == [(renamed.id, "0_init")]
    assert plan.pending == (POST.id,)


def test_teamigrate_rows_are_kept_as_they_are() -> None:
    plan = plan_prisma_adoption([INIT, POST], [prisma_row(INIT, 1), prisma_row(POST, 2)], recorded={INIT.id})
    assert [a.migration.id for a in plan.record] == [POST.id] and plan.kept == (INIT.id,)


def test_prisma_checksums_match_across_line_endings_as_prisma_does() -> None:
    lf = b"CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n"
    crlf = lf.replace(b"\n", b"\r\n")
    assert prisma_checksum_matches(lf, hashlib.sha256(lf).hexdigest().upper())
    assert prisma_checksum_matches(crlf, hashlib.sha256(lf).hexdigest())  # checked out with core.autocrlf
    assert prisma_checksum_matches(lf, hashlib.sha256(crlf).hexdigest())  # applied from a Windows checkout
    assert not prisma_checksum_matches(lf + b"-- edited\n", hashlib.sha256(lf).hexdigest())

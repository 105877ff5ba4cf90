"""The migrations folder model: ids, order, directives, validation, in-memory files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from teamigrate.errors import MigrationError
from teamigrate.history.migrations import Migration, MigrationDirectory, migrations_from_files, new_migration_id


def write(folder: Path, files: dict[str, bytes]) -> MigrationDirectory:
    for relative, data in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return MigrationDirectory(folder, "migrations")


def error_of(call) -> MigrationError:  # type: ignore[no-untyped-def]
    with pytest.raises(MigrationError) as caught:
        call()
    return caught.value


def test_migrations_are_listed_in_id_order_with_their_files(tmp_path: Path) -> None:
    directory = write(tmp_path, {
        "20261127101500_add_email/migration.sql": b"ALTER TABLE users ADD email text;\n",
        "20261126093000_init/migration.sql": b"CREATE TABLE users (id int);\n",
        "20261126093000_init/down.sql": b"DROP TABLE users;\n",
    })
    migrations = directory.migrations()
    assert [m.id for m in migrations] == ["20261126093000_init", "20261127101500_add_email"]
    assert migrations[0].name == "init"
    assert migrations[0].down_sql == "DROP TABLE users;\n"
    assert migrations[1].down_sql is None
    assert migrations[0].transactional and migrations[0].replaces == ()


def test_checksum_is_sha256_of_the_file_bytes(tmp_path: Path) -> None:
    import hashlib

    raw = "-- é\r\nCREATE TABLE t ();\r\n".encode()
    directory = write(tmp_path, {"20261126093000_init/migration.sql": raw})
    assert directory.migrations()[0].checksum == hashlib.sha256(raw).hexdigest()


def test_prisma_layout_is_read_as_it_is(tmp_path: Path) -> None:
    directory = write(tmp_path, {
        "migration_lock.toml": b'provider = "postgresql"\n',
        "20210101000000_init/migration.sql": b'CREATE TABLE "User" (id serial);\n',
        ".DS_Store": b"\0\1",
        "notes.txt": b"ignored",
    })
    assert [m.id for m in directory.migrations()] == ["20210101000000_init"]


def test_directives_no_transaction_and_replaces() -> None:
    migration = Migration("20261126093000_squashed", "-- teamigrate: no-transaction\n-- teamigrate: replaces 20261126090000_a 20261126091000_b\nSELECT 1;\n")
    assert not migration.transactional
    assert migration.replaces == ("20261126090000_a", "20261126091000_b")
    # A directive after the first statement is only a comment.
    late = Migration("20261126093000_x", "SELECT 1;\n-- teamigrate: no-transaction\n")
    assert late.transactional


@pytest.mark.parametrize(
    ("files", "code", "named"),
    [
        ({"2026_init/migration.sql": b"SELECT 1;"}, "TM201", "2026_init"),
        ({"20261126093000_Init/migration.sql": b"SELECT 1;"}, "TM201", "20261126093000_Init"),
        ({"20261126093000_init/down.sql": b"SELECT 1;"}, "TM202", "migrations/20261126093000_init"),
        ({"20261126093000_init/migration.sql": b"  \n\n"}, "TM203", "migrations/20261126093000_init/migration.sql"),
        ({"20261126093000_init/migration.sql": b"SELECT '\xff';"}, "TM204", "migrations/20261126093000_init/migration.sql"),
        ({"20261126093000_init/migration.sql": b"SELECT 1;", "20261126093000_init/down.sql": b"\xfe"}, "TM204", "down.sql"),
        ({"20261126093000_init/migration.sql": b"-- teamigrate: no-transactions\nSELECT 1;"}, "TM205", "no-transactions"),
    ],
)
def test_invalid_folders_are_errors_naming_them(tmp_path: Path, files: dict[str, bytes], code: str, named: str) -> None:
    directory = write(tmp_path, files)
    error = error_of(directory.migrations)
    assert error.code == code
    assert named in error.message
    assert error.hint
    # The in-memory reader gives the same verdict.
    assert error_of(lambda: migrations_from_files(files)).code == code


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    error = error_of(MigrationDirectory(tmp_path / "nope").migrations)
    assert error.code == "TM200" and "nope" in error.message


def test_in_memory_files_give_the_same_model_as_the_disk(tmp_path: Path) -> None:
    files = {
        "20261126093000_init/migration.sql": b"CREATE TABLE a ();\n",
        "20261126093000_init/down.sql": b"DROP TABLE a;\n",
        "20261127093000_b/migration.sql": b"-- teamigrate: no-transaction\nCREATE INDEX CONCURRENTLY i ON a ((1));\n",
        "teamigrate.sum": b"h1:whatever\n",
    }
    assert migrations_from_files(files) == write(tmp_path, files).migrations()


def test_new_migration_id_is_valid_and_after_every_existing_one() -> None:
    now = datetime(2026, 11, 26, 9, 30, 0)
    assert new_migration_id("Add Users!", now) == "20261126093000_add_users"
    assert new_migration_id("addUserEmail", now) == "20261126093000_add_user_email"
    # The clock of a colleague was ahead: the new id still sorts last.
    existing = ["20261126093000_init", "20261126093059_later"]
    new = new_migration_id("x", now, existing)
    assert new == "20261126093100_x" and new > max(existing)
    assert new_migration_id("x", datetime(2026, 11, 26, 9, 31), existing) == "20261126093100_x"
    assert error_of(lambda: new_migration_id("!!!", now)).code == "TM201"


def test_new_ids_made_in_the_same_second_stay_strictly_increasing() -> None:
    now = datetime(2026, 1, 1, 23, 59, 59)
    ids: list[str] = []
    for name in ["a", "b", "c"]:
        ids.append(new_migration_id(name, now, ids))
    assert ids == ["20260101235959_a", "20260102000000_b", "20260102000001_c"]
    assert ids == sorted(ids)

"""A NOT NULL column added without a default: `new` and `diff` carry the hazard, say why and what works instead."""

from __future__ import annotations

from tests.conftest import Project
from tests.commands.conftest import migration_folders

_HAZARD = "-- hazard: fails-if-table-has-rows: a NOT NULL column without a default fails if table public.accounts has rows"
_REMEDY = "give it a DEFAULT, or add it nullable, fill it, then SET NOT NULL in a later migration"


def test_new_and_diff_show_the_not_null_without_default_hazard(dev_project: Project) -> None:
    dev_project.write("schema.sql", "CREATE TABLE accounts (id bigint PRIMARY KEY);\n")
    dev_project.ok("new", "init")
    dev_project.write("schema.sql", "CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL);\n")

    diff = dev_project.ok("diff", "--from", "migrations", "--to", "schema")
    assert f"{_HAZARD} (the proof runs on an empty copy): {_REMEDY}\nALTER TABLE public.accounts ADD COLUMN owner text NOT NULL;" in diff.stdout

    result = dev_project.ok("new", "add owner")
    folder = migration_folders(dev_project.root)[-1]
    migration = (dev_project.root / "migrations" / folder / "migration.sql").read_text()
    assert _HAZARD in migration and _REMEDY in migration
    assert "fails-if-table-has-rows" in result.stderr

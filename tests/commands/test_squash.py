"""`teamigrate squash`: one migration for a range; databases that applied the range stay valid, partial ones are told."""

from __future__ import annotations

import json

from tests.conftest import Project
from tests.commands.conftest import assert_refused, folder_fingerprint, migration_folders, schema_dump


def write_history(project: Project, count: int) -> list[str]:
    """`count` hand-written migrations: tables, columns, an index, a view, with down.sql each."""
    project.write("migrations/20260101000000_m00/migration.sql", "CREATE TABLE t00 (id int PRIMARY KEY);\n")
    project.write("migrations/20260101000000_m00/down.sql", "DROP TABLE t00;\n")
    for n in range(1, count):
        folder = f"migrations/202601010000{n:02d}_m{n:02d}"
        if n % 3 == 0:
            sql, down = f"ALTER TABLE t{n - 1:02d} ADD COLUMN c{n} text;", f"ALTER TABLE t{n - 1:02d} DROP COLUMN c{n};"
        elif n % 5 == 0:
            sql, down = f"CREATE TABLE t{n:02d} (id int PRIMARY KEY, ref int REFERENCES t00 (id));\nCREATE INDEX t{n:02d}_ref ON t{n:02d} (ref);", f"DROP TABLE t{n:02d};"
        else:
            sql, down = f"CREATE TABLE t{n:02d} (id int PRIMARY KEY, label text NOT NULL DEFAULT '');", f"DROP TABLE t{n:02d};"
        project.write(f"{folder}/migration.sql", sql + "\n")
        project.write(f"{folder}/down.sql", down + "\n")
    project.write(f"migrations/202601010000{count:02d}_view/migration.sql", "CREATE VIEW v AS SELECT id FROM t00;\n")
    project.write(f"migrations/202601010000{count:02d}_view/down.sql", "DROP VIEW v;\n")
    project.ok("hash")
    return migration_folders(project.root)


def states(project: Project, url: str | None = None) -> dict[str, str]:
    env = {"DATABASE_URL": url} if url else None
    result = project.run("status", "--json", env=env)
    assert result.returncode == 0, result.stderr
    return {m["id"]: m["state"] for m in json.loads(result.stdout)["migrations"]}


def test_squash_of_20_applied_migrations_leaves_everything_applied(project: Project, make_database) -> None:  # type: ignore[no-untyped-def]
    ids = write_history(project, 20)
    project.ok("deploy")
    before = schema_dump(project.database_url)

    result = project.ok("squash", "--to", ids[19], "--name", "squashed start")

    folders = migration_folders(project.root)
    squashed = f"{ids[19].split('_')[0]}_squashed_start"
    assert folders == [squashed, ids[20]]
    sql = (project.root / "migrations" / squashed / "migration.sql").read_text()
    assert sql.splitlines()[0] == "-- teamigrate: replaces " + " ".join(ids[:20])
    assert (project.root / "migrations" / squashed / "down.sql").is_file()
    assert "squashed 20 migrations" in result.stdout
    assert states(project) == {squashed: "applied", ids[20]: "applied"}
    deployed = project.ok("deploy")
    assert "applied " not in deployed.stdout.replace("all 2 migrations are applied", "")
    assert schema_dump(project.database_url) == before

    # A new database runs the squash instead of the twenty, and ends with the same schema.
    fresh = make_database()
    config = project.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace(project.database_url, fresh, 1))
    project.ok("deploy")
    assert schema_dump(fresh) == before


def test_a_database_with_part_of_the_range_gets_a_clear_error(project: Project, make_database) -> None:  # type: ignore[no-untyped-def]
    ids = write_history(project, 5)
    config = project.root / "teamigrate.yaml"
    original = config.read_text()
    partial = make_database()
    # `partial` applied the first two migrations, then the other three were squashed away with them.
    config.write_text(original.replace(project.database_url, partial, 1))
    for migration_id in ids[2:]:
        (project.root / "migrations" / migration_id).rename(project.root / migration_id)
    project.ok("hash")
    project.ok("deploy")
    for migration_id in ids[2:]:
        (project.root / migration_id).rename(project.root / "migrations" / migration_id)
    project.ok("hash")
    project.ok("squash", "--to", ids[4], "--name", "first five")

    before = schema_dump(partial)
    for command in ("dev", "deploy", "sync"):
        result = project.run(command)
        assert_refused(result, "TM417")
        assert "only 2 of them" in result.stderr and "reset" in result.stderr
        assert schema_dump(partial) == before


def test_bad_ranges_are_refused_and_change_nothing(project: Project) -> None:
    ids = write_history(project, 4)
    fingerprint = folder_fingerprint(project.root)
    assert_refused(project.run("squash", "--from", "20990101000000_nope", "--name", "x"), "TM414")
    assert_refused(project.run("squash", "--from", ids[3], "--to", ids[1], "--name", "x"), "TM414")
    assert_refused(project.run("squash", "--from", ids[2], "--to", ids[2], "--name", "x"), "TM414")
    assert folder_fingerprint(project.root) == fingerprint


def test_a_squash_id_that_would_not_sort_in_place_is_refused(project: Project) -> None:
    ids = write_history(project, 3)
    # Same timestamp as the end of the range: the squash's id sorts by name against it.
    project.write(f"migrations/{ids[1].split('_')[0]}_n01/migration.sql", "CREATE TABLE n01 (id int);\n")
    project.ok("hash")
    fingerprint = folder_fingerprint(project.root)
    assert_refused(project.run("squash", "--from", ids[0], "--to", ids[1], "--name", "zzz"), "TM415")
    assert folder_fingerprint(project.root) == fingerprint


def test_rollback_after_a_squash_undoes_the_squash_as_one_step(project: Project) -> None:
    """The squash stands for the rows it replaces: one rollback step, its own down.sql, and `dev` brings it back."""
    ids = write_history(project, 5)
    project.ok("deploy")
    before = schema_dump(project.database_url)
    project.ok("squash", "--to", ids[2], "--name", "aa first three")  # its id sorts before ids[2]
    squashed = migration_folders(project.root)[0]
    assert squashed < ids[2]
    for recorded in (False, True):
        if recorded:
            project.ok("deploy")  # records the squash's own row
        project.ok("rollback", "--steps", "3")  # the view, ids[4] and ids[3]
        rolled = project.ok("rollback", "--steps", "1")  # the squash: the three tables it made
        assert squashed in rolled.stdout and ids[2] not in rolled.stdout
        assert set(states(project).values()) == {"pending"}
        assert project.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t[0-9]+$'") == [(0,)]
        project.ok("dev")
        assert schema_dump(project.database_url) == before


# --- a squash on a branch while main moves on ---------------------------------------

MOOD = "20261101000000_create_people"
NAME = "20261102000000_add_name"
PETS = "20261103000000_create_pets"
LATER = "20261120000000_add_email"


def test_squash_on_a_branch_while_main_moves_on_stays_in_place_and_deploys(team, fresh_replay) -> None:  # type: ignore[no-untyped-def]
    alice = team.developer("alice")
    alice.add_migration(MOOD, "CREATE TYPE mood AS ENUM ('happy', 'sad');\nCREATE TABLE people (id int PRIMARY KEY, mood mood);\n",
                        "DROP TABLE people;\nDROP TYPE mood;\n")
    alice.add_migration(NAME, "ALTER TABLE people ADD COLUMN name text;\n", "ALTER TABLE people DROP COLUMN name;\n")
    alice.add_migration(PETS, "CREATE TABLE pets (id int PRIMARY KEY, owner int REFERENCES people, mood mood);\n", "DROP TABLE pets;\n")
    alice.git("push", "-q", "origin", "main")
    alice.ok("sync")
    ci = team.developer("ci")
    ci.ok("deploy")
    bob = team.developer("bob")
    bob.ok("sync")

    alice.ok("hooks", "install")
    alice.git("checkout", "-q", "-b", "squash-start")
    alice.ok("squash", "--from", MOOD, "--to", NAME, "--name", "people")
    squash = f"{NAME.split('_')[0]}_people"
    assert alice.migration_ids() == [squash, PETS]
    alice.git("add", "-A", "migrations")
    commit = alice.try_git("commit", "-m", "squash the start")
    assert commit.returncode == 0 and "check passed" in commit.stderr, commit.stderr
    # Alice's database records the squash; back on main (before the squash) nothing of it is undone.
    alice.ok("deploy")
    alice.git("checkout", "-q", "main")
    back = alice.ok("sync")
    assert "rolled back" not in back.stdout
    assert alice.schema_dump() == fresh_replay(alice)
    alice.git("checkout", "-q", "squash-start")
    assert "rolled back" not in alice.ok("sync").stdout

    # Main moves on meanwhile.
    bob.add_migration(LATER, "ALTER TABLE people ADD COLUMN email text;\n", "ALTER TABLE people DROP COLUMN email;\n")
    bob.ok("sync")
    bob.git("push", "-q", "origin", "main")
    ci.git("pull", "-q", "--ff-only")
    ci.ok("deploy")

    alice.git("fetch", "-q", "origin")  # her local main is behind origin/main now
    assert alice.ok("check", "--no-cache").returncode == 0
    result = alice.ok("rebase")
    assert "nothing to rebase" in result.stdout
    assert alice.migration_ids() == [squash, PETS]

    merge = alice.try_git("merge", "origin/main")
    assert merge.returncode != 0 and "Merge conflict in migrations/teamigrate.sum" in merge.stdout
    rebased = alice.ok("rebase")
    assert "renamed" not in rebased.stdout
    assert f"kept {squash} in place" in rebased.stdout
    assert alice.migration_ids() == [squash, PETS, LATER]
    commit = alice.try_git("commit", "--no-edit")
    assert commit.returncode == 0 and "check passed" in commit.stderr, commit.stdout + commit.stderr
    assert alice.ok("sync").returncode == 0
    alice.git("push", "-q", "origin", "squash-start:main")

    ci.git("pull", "-q", "--ff-only")
    deployed = ci.ok("deploy")
    assert f"recorded {squash} as applied" in deployed.stdout
    bob.git("pull", "-q", "--ff-only")
    bob.ok("sync")
    bob.ok("deploy")  # records the squash in Bob's history too
    fresh = fresh_replay(alice)
    assert ci.schema_dump() == bob.schema_dump() == alice.schema_dump() == fresh
    for developer in (ci, bob, alice):
        assert states(developer) == {squash: "applied", PETS: "applied", LATER: "applied"}

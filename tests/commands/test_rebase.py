"""`teamigrate rebase` in one clone: the schema-source check, refusals, and rebasing outside a merge."""

from __future__ import annotations

from tests.commands.conftest import Developer, Team

INIT = "20261101000000_create_users"
MAIN = "20261110000000_add_orders"
MINE = "20261105000000_add_email"

USERS = "CREATE TABLE users (\n    id bigint PRIMARY KEY,\n    name text\n);\n\n-- more tables below\n"


def diverged(team: Team, mine_sql: str = "ALTER TABLE users ADD COLUMN email text;\n", schema: bool = False) -> Developer:
    """main adds orders, the branch `email` adds a column: both after the same init."""
    dev = team.developer("dev")
    if schema:
        config = dev.root / "teamigrate.yaml"
        config.write_text(config.read_text() + "\nschema: schema.sql\n")
        dev.write("schema.sql", USERS)
        dev.git("add", "schema.sql")
    dev.add_migration(INIT, "CREATE TABLE users (id bigint PRIMARY KEY, name text);\n", "DROP TABLE users;\n")
    dev.git("checkout", "-q", "-b", "email")
    if schema:
        dev.write("schema.sql", USERS.replace("    name text\n", "    name text,\n    email text\n"))
        dev.git("add", "schema.sql")
    dev.add_migration(MINE, mine_sql, "ALTER TABLE users DROP COLUMN email;\n")
    dev.git("checkout", "-q", "main")
    if schema:
        dev.write("schema.sql", USERS + "CREATE TABLE orders (id bigint PRIMARY KEY);\n")
        dev.git("add", "schema.sql")
    dev.add_migration(MAIN, "CREATE TABLE orders (id bigint PRIMARY KEY);\n", "DROP TABLE orders;\n")
    dev.git("checkout", "-q", "email")
    return dev


def test_rebase_checks_the_result_against_the_schema_source(team: Team) -> None:
    dev = diverged(team, schema=True)
    assert dev.try_git("merge", "main").returncode != 0
    assert dev.git("diff", "--name-only", "--diff-filter=U").split() == ["migrations/teamigrate.sum"]
    result = dev.ok("rebase")
    assert "matches schema.sql" in result.stderr
    assert dev.try_git("commit", "--no-edit", "--no-verify").returncode == 0


def test_rebase_refuses_a_result_that_differs_from_the_schema_source_and_changes_nothing(team: Team) -> None:
    dev = diverged(team, mine_sql="ALTER TABLE users ADD COLUMN email varchar(20);\n", schema=True)
    assert dev.try_git("merge", "main").returncode != 0
    conflicted = (dev.root / "migrations" / "teamigrate.sum").read_text()
    result = dev.run("rebase")
    assert result.returncode == 1
    first, hint = result.stderr.strip().splitlines()
    assert first.startswith("error[TM506]: the rebased history replays, but differs from schema.sql: ")
    assert "users" in first
    assert hint.startswith("hint: ")
    assert (dev.root / "migrations" / MINE).is_dir()
    assert (dev.root / "migrations" / "teamigrate.sum").read_text() == conflicted


def test_rebase_refuses_while_other_files_conflict(team: Team) -> None:
    dev = diverged(team)
    dev.write("NOTES", "mine\n")
    dev.git("add", "NOTES")
    dev.git("commit", "-q", "--no-verify", "-m", "notes")
    dev.git("checkout", "-q", "main")
    dev.write("NOTES", "theirs\n")
    dev.git("add", "NOTES")
    dev.git("commit", "-q", "--no-verify", "-m", "notes")
    dev.git("checkout", "-q", "email")
    assert dev.try_git("merge", "main").returncode != 0
    result = dev.run("rebase")
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "error[TM505]: git reports conflicts in NOTES besides teamigrate.sum"
    assert (dev.root / "migrations" / MINE).is_dir()


def test_rebase_outside_a_merge_moves_migrations_after_the_main_branch(team: Team) -> None:
    dev = diverged(team)
    result = dev.ok("rebase")
    [moved] = [i for i in dev.migration_ids() if i.endswith("_add_email")]
    assert moved > MAIN
    assert f"renamed {MINE} -> {moved}" in result.stdout
    assert "commit the renamed migrations" in result.stdout
    staged = dev.git("diff", "--cached", "--name-status", "-M").splitlines()
    assert any(line.startswith("R") and MINE in line and moved in line for line in staged)
    dev.git("commit", "-q", "--no-verify", "-m", "rebase migrations")
    # The merge still conflicts on teamigrate.sum (both sides changed it); nothing is left to move.
    assert dev.try_git("merge", "main").returncode != 0
    again = dev.ok("rebase")
    assert "renamed" not in again.stdout
    assert dev.try_git("commit", "--no-edit", "--no-verify").returncode == 0
    assert dev.migration_ids() == [INIT, MAIN, moved]
    assert dev.ok("hash").returncode == 0 and dev.git("status", "--porcelain", "migrations") == ""


def test_rebase_with_nothing_to_do(team: Team) -> None:
    dev = diverged(team)
    dev.git("checkout", "-q", "main")
    result = dev.ok("rebase")
    assert result.stdout.strip() == "nothing to rebase: this branch's migrations already come after main's"


def test_rebase_renames_the_rows_of_migrations_already_applied_and_an_uncommitted_one(team: Team) -> None:
    dev = diverged(team)
    extra = "20261106000000_add_phone"
    dev.add_migration(extra, "ALTER TABLE users ADD COLUMN phone text;\n", "ALTER TABLE users DROP COLUMN phone;\n", commit=False)
    dev.ok("sync")
    before = dev.history()
    result = dev.ok("rebase")
    ids = dev.migration_ids()
    moved_email, moved_phone = ids[-2], ids[-1]
    assert moved_email.endswith("_add_email") and moved_phone.endswith("_add_phone")
    assert f"is now {moved_email} (not run again)" in result.stdout
    after = dev.history()
    assert after[moved_email] == before[MINE]
    assert after[moved_phone] == before[extra]
    # main's migration is not on this branch yet: nothing to apply, nothing ran twice.
    assert dev.ok("sync").stdout.strip() == "in step: 3 migrations applied, nothing to do"


def test_rebase_help_says_what_is_already_on_main(team: Team) -> None:
    dev = team.developer("dev")
    text = " ".join(dev.ok("rebase", "--help").stdout.split())
    assert "The migrations already on the main branch keep their ids, wherever you stand" in text
    assert "it is main before the merge (the first parent), so the branch's migrations move" in text

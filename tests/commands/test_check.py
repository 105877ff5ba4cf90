"""`check`, the pre-commit gate: each finding with its code and hint, the fast path, --staged, --drift, the hook."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import git, run_cli
from tests.commands.conftest import Developer, Team

USERS = "CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);\n"
POSTS = "CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), body text);\n"


def _schema_project(team: Team) -> Developer:
    """A developer whose main branch has schema.sql and two migrations that build it, committed and pushed."""
    dev = team.developer("alice")
    config = dev.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace("# schema: schema.sql", "schema: schema.sql", 1))
    dev.write("schema.sql", USERS + POSTS)
    dev.add_migration("20260101000000_users", USERS, "DROP TABLE users;\n", commit=False)
    dev.add_migration("20260102000000_posts", POSTS, "DROP TABLE posts;\n", commit=False)
    dev.git("add", "-A")
    dev.git("commit", "-q", "--no-verify", "-m", "schema and migrations")
    return dev


def _codes(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [line.split("]")[0].removeprefix("error[") for line in result.stderr.splitlines() if line.startswith("error[")]


def test_a_consistent_project_passes_and_the_second_check_answers_from_the_stamp(team: Team) -> None:
    dev = _schema_project(team)
    first = dev.run("check")
    assert first.returncode == 0, first.stderr
    assert "check passed: 2 migrations" in first.stdout
    started = time.perf_counter()
    second = dev.run("check")
    assert second.returncode == 0
    assert "unchanged since the last successful check" in second.stdout
    assert time.perf_counter() - started < 5
    # Any input changing invalidates the stamp.
    dev.write("schema.sql", USERS + POSTS + "\n-- a comment\n")
    third = dev.run("check")
    assert third.returncode == 0 and "unchanged" not in third.stdout


def test_schema_change_without_a_migration(team: Team) -> None:
    dev = _schema_project(team)
    dev.write("schema.sql", USERS + POSTS + "CREATE INDEX posts_user ON posts (user_id);\n")
    result = dev.run("check")
    assert result.returncode == 1
    assert _codes(result) == ["TM524"]
    assert "posts_user" in result.stderr
    assert "hint: run `teamigrate new <name>`" in result.stderr
    assert "Traceback" not in result.stderr


def test_conflict_markers_in_the_sum_file(team: Team) -> None:
    dev = _schema_project(team)
    sum_file = dev.root / "migrations" / "teamigrate.sum"
    lines = sum_file.read_text().splitlines()
    sum_file.write_text("\n".join([lines[0], "<<<<<<< HEAD", lines[1], "=======", lines[2], ">>>>>>> feature"]) + "\n")
    result = dev.run("check")
    assert result.returncode == 1
    assert _codes(result) == ["TM209"]
    assert "teamigrate rebase" in result.stderr


def test_edited_committed_migration_and_json(team: Team) -> None:
    dev = _schema_project(team)
    dev.git("push", "-q", "origin", "main")
    dev.write("migrations/20260102000000_posts/migration.sql", POSTS + "CREATE INDEX posts_body ON posts (body);\n")
    dev.write("schema.sql", USERS + POSTS + "CREATE INDEX posts_body ON posts (body);\n")
    dev.ok("hash")
    result = dev.run("check", "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert [f["code"] for f in report["findings"]] == ["TM520"]
    assert report["findings"][0]["migration"] == "20260102000000_posts"


def _check_with_a_migration_before_main(dev: Developer) -> subprocess.CompletedProcess[str]:
    """A new migration on this branch that sorts before main's newest (20260102000000_posts); then `check`."""
    comments = "COMMENT ON TABLE users IS 'people';\n"
    dev.add_migration("20260101120000_comment_users", comments, "COMMENT ON TABLE users IS NULL;\n", commit=False)
    dev.write("schema.sql", USERS + POSTS + comments)
    return dev.run("check")


def test_new_migration_ordered_before_main(team: Team) -> None:
    dev = _schema_project(team)
    dev.git("checkout", "-q", "-b", "feature")
    result = _check_with_a_migration_before_main(dev)
    assert result.returncode == 1
    assert _codes(result) == ["TM521"]
    assert "20260101120000_comment_users" in result.stderr and "20260102000000_posts" in result.stderr
    assert "teamigrate rebase" in result.stderr


def test_migration_that_does_not_replay_names_the_line(team: Team) -> None:
    dev = _schema_project(team)
    dev.git("checkout", "-q", "-b", "feature")
    dev.add_migration("20260103000000_broken", "ALTER TABLE users ADD COLUMN email text;\nALTER TABLE nowhere ADD COLUMN x int;\n", commit=False)
    result = dev.run("check")
    assert result.returncode == 1
    assert "TM211" in _codes(result)
    assert "20260103000000_broken" in result.stderr and "line 2" in result.stderr
    assert "nowhere" in result.stderr


def test_lint_error_blocks(team: Team) -> None:
    dev = _schema_project(team)
    dev.git("checkout", "-q", "-b", "feature")
    index = "CREATE INDEX CONCURRENTLY users_name ON users (name);\n"
    dev.add_migration("20260103000000_index", index, "DROP INDEX users_name;\n", commit=False)
    dev.write("schema.sql", USERS + POSTS + "CREATE INDEX users_name ON users (name);\n")
    result = dev.run("check")
    assert result.returncode == 1
    assert "TM523" in _codes(result)
    assert "no-transaction" in result.stderr


def test_staged_checks_the_index_not_the_work_tree(team: Team) -> None:
    dev = _schema_project(team)
    good = (dev.root / "schema.sql").read_text()
    dev.write("schema.sql", good + "CREATE TABLE tags (name text PRIMARY KEY);\n")
    dev.git("add", "schema.sql")
    dev.write("schema.sql", good)  # the work tree is fine again; the index is not
    assert dev.run("check").returncode == 0
    staged = dev.run("check", "--staged")
    assert staged.returncode == 1
    assert _codes(staged) == ["TM524"] and "tags" in staged.stderr


def test_drift_names_the_objects(team: Team) -> None:
    dev = _schema_project(team)
    dev.ok("deploy")
    assert dev.run("check", "--drift").returncode == 0
    dev.sql("ALTER TABLE users ADD COLUMN nickname text")
    result = dev.run("check", "--drift")
    assert result.returncode == 1
    assert _codes(result) == ["TM525"]
    assert "nickname" in result.stderr


def test_pre_commit_hook_refuses_a_schema_change_without_a_migration(team: Team) -> None:
    dev = _schema_project(team)
    dev.ok("hooks", "install")
    dev.write("schema.sql", USERS + POSTS + "CREATE TABLE tags (name text PRIMARY KEY);\n")
    dev.git("add", "schema.sql")
    refused = dev.try_git("commit", "-q", "-m", "tags")
    assert refused.returncode != 0
    assert "TM524" in refused.stderr and "teamigrate new" in refused.stderr
    new = dev.run("new", "add_tags")
    if new.returncode != 0 and "No such command" in new.stderr:
        pytest.skip("`new` is not built yet")
    assert new.returncode == 0, new.stderr
    dev.git("add", "-A")
    accepted = dev.try_git("commit", "-q", "-m", "tags")
    assert accepted.returncode == 0, accepted.stderr


def test_pre_commit_framework_try_repo_runs_teamigrate_check(team: Team, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`pre-commit try-repo` installs teamigrate from this repository and runs the hook `.pre-commit-hooks.yaml` offers."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repository = Path(__file__).resolve().parents[2]
    pre_commit = Path(sys.executable).parent / "pre-commit"
    dev = _schema_project(team)
    dev.write("schema.sql", USERS + POSTS + "CREATE TABLE tags (name text PRIMARY KEY);\n")
    dev.git("add", "schema.sql")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(pre_commit), "try-repo", str(repository), "teamigrate-check"],
                              cwd=dev.root, env=env, capture_output=True, text=True, timeout=900)

    refused = try_repo()
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert "teamigrate check" in refused.stdout and "Failed" in refused.stdout
    assert "TM524" in refused.stdout + refused.stderr
    dev.write("schema.sql", USERS + POSTS + "-- tags: later\n")
    dev.git("add", "schema.sql")
    passed = try_repo()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def test_a_squash_of_main_migrations_is_not_misordered(team: Team) -> None:
    dev = _schema_project(team)
    dev.git("checkout", "-q", "-b", "squash")
    dev.ok("squash", "--name", "all")  # its id reuses the last timestamp: 20260102000000_all sorts before ..._posts
    result = dev.run("check")
    assert result.returncode == 0, result.stderr
    assert "check passed: 1 migration" in result.stdout


def test_after_a_fetch_origin_main_is_main_and_what_it_gained_is_not_missing(team: Team) -> None:
    """The local main is behind origin/main: check compares with origin/main, and its new migrations are not merged yet, not missing."""
    dev = _schema_project(team)
    dev.git("push", "-q", "origin", "main")
    dev.git("checkout", "-q", "-b", "feature")
    other = team.developer("bob")
    other.add_migration("20260103000000_tags", "CREATE TABLE tags (name text PRIMARY KEY);\n")
    other.git("push", "-q", "origin", "main")
    dev.git("fetch", "-q", "origin")
    assert dev.ok("check").stdout.strip() == "check passed: 2 migrations"
    result = _check_with_a_migration_before_main(dev)
    assert _codes(result) == ["TM521"]
    assert "sorts before 20260103000000_tags, already on origin/main" in result.stderr


def test_a_squash_of_main_and_branch_migrations_is_refused(team: Team) -> None:
    dev = _schema_project(team)
    dev.git("checkout", "-q", "-b", "feature")
    tags = "CREATE TABLE tags (name text PRIMARY KEY);\n"
    dev.add_migration("20260103000000_tags", tags)
    dev.write("schema.sql", USERS + POSTS + tags)
    dev.ok("squash", "--from", "20260102000000_posts", "--to", "20260103000000_tags", "--name", "posts_and_tags")
    result = dev.run("check", "--json")
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["code"] == "TM509" and finding["migration"] == "20260103000000_posts_and_tags"
    assert "20260103000000_tags, not on it" in finding["message"]


def test_only_origin_main_is_enough_to_check_the_order(team: Team) -> None:
    """A CI checkout of a pull request has origin/main and no local main."""
    dev = _schema_project(team)
    dev.git("push", "-q", "origin", "main")
    dev.git("checkout", "-q", "-b", "feature")
    dev.git("branch", "-D", "main")
    result = _check_with_a_migration_before_main(dev)
    assert result.returncode == 1
    assert _codes(result) == ["TM521"]
    assert "origin/main" in result.stderr


def _developer_in_a_new_repository(root: Path, database_url: str, *init_options: str) -> Developer:
    """`teamigrate init` in a fresh `git init` (with these options), on its own database; teamigrate.yaml committed."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main", *init_options)
    assert run_cli(["init"], root).returncode == 0
    config = root / "teamigrate.yaml"
    config.write_text(config.read_text().replace("database_url: ${DATABASE_URL:-}", f"database_url: {database_url}", 1))
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-verify", "-m", "teamigrate init")
    return Developer(root=root, database_url=database_url)


def _edits(result: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    """(migration, message) of each finding of `check --json`, all of them TM520."""
    report = json.loads(result.stdout)
    assert [f["code"] for f in report["findings"]] == ["TM520"] * len(report["findings"]), report
    return [(f["migration"], f["message"]) for f in report["findings"]]


def _on(migration_id: str, where: str) -> tuple[str, str]:
    return migration_id, f"migration {migration_id} is on {where} and its migration.sql was edited since"


def _in_head(migration_id: str) -> tuple[str, str]:
    return migration_id, f"migration {migration_id} was committed in HEAD and its migration.sql was edited since"


def test_edited_migrations_in_a_sha256_repository(tmp_path: Path, make_database: Callable[[], str]) -> None:
    """Edits are found by git object ids; a repository made with --object-format=sha256 has 64-digit ones."""
    dev = _developer_in_a_new_repository(tmp_path / "app", make_database(), "--object-format=sha256")
    assert len(dev.git("rev-parse", "HEAD").strip()) == 64
    dev.add_migration("20260101000000_users", USERS)
    dev.git("checkout", "-q", "-b", "feature")
    dev.add_migration("20260102000000_posts", POSTS)  # committed here only: HEAD is not main
    assert dev.run("check").returncode == 0
    dev.write("migrations/20260101000000_users/migration.sql", USERS + "-- edited\n")
    dev.write("migrations/20260102000000_posts/migration.sql", POSTS + "-- edited\n")
    dev.ok("hash")
    result = dev.run("check", "--json")
    assert result.returncode == 1
    assert _edits(result) == [_on("20260101000000_users", "main"), _in_head("20260102000000_posts")]
    # --staged reads the index: the edits staged, the work tree restored.
    dev.git("add", "migrations")
    dev.git("restore", "--worktree", "--source=HEAD", "--", "migrations")
    assert dev.run("check").returncode == 0
    staged = dev.run("check", "--staged", "--json")
    assert staged.returncode == 1
    assert _edits(staged) == [_on("20260101000000_users", "main"), _in_head("20260102000000_posts")]


def test_line_endings_and_the_final_newline_are_edits(tmp_path: Path, make_database: Callable[[], str]) -> None:
    """migration.sql is compared byte for byte with the committed file: no line-ending conversion, no trimming."""
    dev = _developer_in_a_new_repository(tmp_path / "app", make_database())
    dev.add_migration("20260101000000_users", USERS.replace("\n", "\r\n"))  # committed with CRLF: as it is, no edit
    dev.add_migration("20260102000000_posts", POSTS)
    dev.add_migration("20260103000000_tags", "CREATE TABLE tags (name text);\n")
    dev.git("checkout", "-q", "-b", "feature")
    dev.add_migration("20260104000000_labels", "CREATE TABLE labels (name text);\n")
    assert (dev.root / "migrations/20260101000000_users/migration.sql").read_bytes().endswith(b"\r\n")
    first = dev.run("check")
    assert first.returncode == 0, first.stderr
    (dev.root / "migrations/20260101000000_users/migration.sql").write_bytes(USERS.encode())
    (dev.root / "migrations/20260102000000_posts/migration.sql").write_bytes(POSTS.replace("\n", "\r\n").encode())
    (dev.root / "migrations/20260103000000_tags/migration.sql").write_bytes(b"CREATE TABLE tags (name text);")
    (dev.root / "migrations/20260104000000_labels/migration.sql").write_bytes(b"CREATE TABLE labels (name text);\n\n")
    dev.ok("hash")
    result = dev.run("check", "--json")
    assert result.returncode == 1
    assert _edits(result) == [_on("20260101000000_users", "main"), _on("20260102000000_posts", "main"),
                              _on("20260103000000_tags", "main"), _in_head("20260104000000_labels")]


def test_only_origin_main_is_enough_to_find_edits(team: Team) -> None:
    dev = _schema_project(team)
    dev.git("push", "-q", "origin", "main")
    dev.git("checkout", "-q", "-b", "feature")
    dev.git("branch", "-D", "main")
    comments = "COMMENT ON TABLE users IS 'people';\n"
    dev.add_migration("20260103000000_comment_users", comments)
    dev.write("schema.sql", USERS + POSTS + comments)
    assert dev.run("check").returncode == 0
    dev.write("migrations/20260101000000_users/migration.sql", USERS + "-- edited\n")
    dev.write("migrations/20260103000000_comment_users/migration.sql", comments + "-- edited\n")
    dev.ok("hash")
    result = dev.run("check", "--json")
    assert result.returncode == 1
    assert _edits(result) == [_on("20260101000000_users", "origin/main"), _in_head("20260103000000_comment_users")]


def test_a_main_branch_that_names_nothing_is_a_warning(team: Team) -> None:
    dev = _schema_project(team)
    config = dev.root / "teamigrate.yaml"
    config.write_text(config.read_text().replace("main_branch: main", "main_branch: trunk", 1))
    dev.write("migrations/20260101000000_users/migration.sql", USERS + "-- edited\n")
    dev.ok("hash")
    result = dev.run("check")
    assert result.returncode == 0, result.stderr
    assert "main_branch `trunk` names no branch here (nor origin/trunk)" in result.stderr


def test_files_below_reads_what_rglob_finds(tmp_path: Path) -> None:
    from teamigrate.commands.check import _files_below

    folder = tmp_path / "migrations"
    (folder / "20260101000000_a" / "deeper").mkdir(parents=True)
    (folder / "20260101000000_a" / "migration.sql").write_bytes(b"SELECT 1;\r\n")
    (folder / "20260101000000_a" / "deeper" / "notes.txt").write_text("x")
    (folder / ".hidden").write_text("h")
    (folder / "teamigrate.sum").write_text("h1:x\n")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "migration.sql").write_text("SELECT 2;\n")
    (folder / "linked_file.sql").symlink_to(tmp_path / "elsewhere" / "migration.sql")
    (folder / "20260102000000_linked_folder").symlink_to(tmp_path / "elsewhere")
    (folder / "broken").symlink_to(tmp_path / "nowhere")
    expected = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert _files_below(folder) == expected
    assert set(expected) == {"20260101000000_a/migration.sql", "20260101000000_a/deeper/notes.txt", ".hidden", "teamigrate.sum", "linked_file.sql"}
    assert _files_below(tmp_path / "missing") == {}


def test_a_migration_on_main_missing_here(tmp_path: Path, make_database: Callable[[], str]) -> None:
    dev = _developer_in_a_new_repository(tmp_path / "app", make_database())
    dev.add_migration("20260101000000_users", USERS)
    dev.add_migration("20260102000000_posts", POSTS)
    dev.git("checkout", "-q", "-b", "feature")
    dev.git("rm", "-q", "-r", "migrations/20260102000000_posts")
    dev.ok("hash")
    result = dev.run("check", "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["findings"] == [{
        "code": "TM522", "message": "migration 20260102000000_posts is on main but not here",
        "hint": "restore it: git checkout main -- migrations/20260102000000_posts", "migration": "20260102000000_posts",
    }]


def test_a_folder_that_is_no_migration_stops_the_check_first(tmp_path: Path, make_database: Callable[[], str]) -> None:
    dev = _developer_in_a_new_repository(tmp_path / "app", make_database())
    dev.add_migration("20260101000000_users", USERS)
    dev.write("migrations/not_a_migration/migration.sql", "SELECT 1;\n")
    result = dev.run("check", "--json")
    assert result.returncode == 1
    assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["TM201"]

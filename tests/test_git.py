"""GitRepository against real repositories: refs, the index, merges and rebases in progress, a hook's environment."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from teamigrate.errors import TeamigrateError
from teamigrate.git import GitRepository, blob_id
from tests.conftest import git


def commit_file(root: Path, relative: str, text: str, message: str) -> str:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    git(root, "add", relative)
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit_file(root, "migrations/20261101000000_init/migration.sql", "CREATE TABLE a (id int);\n", "init")
    return root


def diverge(root: Path) -> None:
    """main and feature both change the same line of one file."""
    git(root, "checkout", "-q", "-b", "feature")
    commit_file(root, "migrations/teamigrate.sum", "feature\n", "feature")
    commit_file(root, "migrations/20261105000000_mine/migration.sql", "SELECT 1;\n", "mine")
    git(root, "checkout", "-q", "main")
    commit_file(root, "migrations/teamigrate.sum", "main\n", "main")
    git(root, "checkout", "-q", "feature")


def test_reads_refs_and_folders_without_touching_the_work_tree(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    commit_file(repo, "migrations/20261102000000_two/migration.sql", "SELECT 2;\n", "two")
    (repo / "migrations" / "20261102000000_two" / "migration.sql").write_text("edited, not committed\n")
    repository = GitRepository(repo / "migrations")
    assert repository.root == repo
    assert repository.resolve("HEAD~1") == first
    assert repository.resolve("no-such-branch") is None
    assert repository.folders_at(first, "migrations") == ["20261101000000_init"]
    assert repository.folders_at("HEAD", "migrations") == ["20261101000000_init", "20261102000000_two"]
    assert repository.file_at("HEAD", "migrations/20261102000000_two/migration.sql") == b"SELECT 2;\n"
    assert repository.file_at(first, "migrations/20261102000000_two/migration.sql") is None
    assert repository.merge_base("HEAD", first) == first
    assert repository.relative(repo / "migrations") == "migrations"


def test_resolve_all_answers_each_ref_on_its_own(repo: Path, tmp_path: Path) -> None:
    first = git(repo, "rev-parse", "HEAD").strip()
    commit_file(repo, "migrations/20261102000000_two/migration.sql", "SELECT 2;\n", "two")
    git(repo, "tag", "-a", "-m", "annotated", "v1", first)
    repository = GitRepository(repo)
    refs = ("main", "no-such-branch", "HEAD~1", "v1", "HEAD", "main\nHEAD", "", "main:migrations")
    # As `resolve` one by one: a ref that names no commit (a missing branch, a tree) leaves the others alone.
    assert repository.resolve_all(*refs) == [repository.resolve(ref) for ref in refs]
    assert repository.resolve_all(*refs)[:5] == [repository.resolve("HEAD"), None, first, first, repository.resolve("HEAD")]
    assert repository.resolve_all() == []
    unborn = tmp_path / "unborn"
    unborn.mkdir()
    git(unborn, "init", "-q", "-b", "main")
    assert GitRepository(unborn).resolve_all("main", "HEAD") == [None, None]


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_blob_ids_are_git_object_ids_of_the_file_bytes(tmp_path: Path, object_format: str) -> None:
    root = tmp_path / object_format
    root.mkdir()
    git(root, "init", "-q", "-b", "main", f"--object-format={object_format}")
    crlf = b"CREATE TABLE a (id int);\r\n"
    (root / "migrations" / "20261101000000_a").mkdir(parents=True)
    (root / "migrations" / "20261101000000_a" / "migration.sql").write_bytes(crlf)
    git(root, "add", "migrations")
    commit_file(root, "migrations/20261102000000_b/migration.sql", "SELECT 2;", "b")
    commit_file(root, "other/file.sql", "SELECT 3;\n", "outside the folder")
    (root / "migrations" / "20261102000000_b" / "migration.sql").write_text("SELECT 2;\n")
    git(root, "add", "migrations")
    repository = GitRepository(root)
    committed = repository.blob_ids("HEAD", "migrations")
    staged = repository.blob_ids("", "migrations")
    assert set(committed) == set(staged) == {"20261101000000_a/migration.sql", "20261102000000_b/migration.sql"}
    for listing in (committed, staged):
        for path, object_id in listing.items():
            assert object_id == git(root, "rev-parse", f"{'HEAD' if listing is committed else ''}:migrations/{path}").strip()
            assert len(object_id) == (64 if object_format == "sha256" else 40)
    # Bytes as they are: no line-ending conversion, a final newline counts.
    assert committed["20261101000000_a/migration.sql"] == blob_id(crlf, like=committed["20261101000000_a/migration.sql"])
    assert blob_id(crlf, like=committed["20261101000000_a/migration.sql"]) != blob_id(crlf.replace(b"\r\n", b"\n"), like=committed["20261101000000_a/migration.sql"])
    assert committed["20261102000000_b/migration.sql"] == blob_id(b"SELECT 2;", like=committed["20261102000000_b/migration.sql"])
    assert staged["20261102000000_b/migration.sql"] == blob_id(b"SELECT 2;\n", like=committed["20261102000000_b/migration.sql"])
    # Side by side for several refs; the same files as read_folder reads.
    assert repository.blob_ids_at(["HEAD~1", "HEAD", ""], "migrations") == [committed, committed, staged]
    assert repository.read_folder("HEAD", "migrations") == {"20261101000000_a/migration.sql": crlf, "20261102000000_b/migration.sql": b"SELECT 2;"}
    with pytest.raises(TeamigrateError) as raised:
        repository.blob_ids_at(["HEAD", "no-such-ref"], "migrations")
    assert raised.value.code == "TM501" and "no-such-ref" in raised.value.message


def test_staged_version_and_the_index_a_hook_is_given(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = "migrations/20261101000000_init/migration.sql"
    added = "migrations/20261102000000_new/migration.sql"
    (repo / path).write_text("staged\n")
    (repo / added).parent.mkdir()
    (repo / added).write_text("SELECT 1;\n")
    git(repo, "add", path, added)
    (repo / path).write_text("not staged\n")
    repository = GitRepository(repo)
    assert repository.file_at("", path) == b"staged\n"
    assert repository.staged_paths("migrations") == [path, added]
    # `git commit -a` hands its pre-commit hook a temporary index, named relative to the work tree.
    git(repo, "read-tree", "--index-output=.git/other-index", "HEAD")
    monkeypatch.setenv("GIT_INDEX_FILE", ".git/other-index")
    assert repository.file_at("", path) == b"CREATE TABLE a (id int);\n"
    assert repository.staged_paths("migrations") == [path]
    # Questions about the work tree ignore it.
    assert repository.is_tracked(added)


def test_inherited_git_dir_does_not_redirect_it(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q", "-b", "main")
    commit_file(other, "x", "x\n", "other")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    repository = GitRepository(repo)
    monkeypatch.delenv("GIT_DIR")
    expected = git(repo, "rev-parse", "HEAD").strip()
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    assert repository.resolve("HEAD") == expected
    assert repository.folders_at("HEAD", "migrations") == ["20261101000000_init"]


def test_failures_are_teamigrate_errors(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(TeamigrateError) as raised:
        GitRepository(repo).run("show", "no-such-ref")
    assert raised.value.code == "TM501"
    assert "no-such-ref" in raised.value.message
    outside = tmp_path / "plain"
    outside.mkdir()
    with pytest.raises(TeamigrateError) as raised:
        GitRepository(outside)
    assert raised.value.code == "TM500"
    assert GitRepository.find(outside) is None


def test_no_integration_when_nothing_is_in_progress(repo: Path) -> None:
    assert GitRepository(repo).integration() is None


def test_merge_in_progress_names_the_other_side(repo: Path) -> None:
    diverge(repo)
    main = git(repo, "rev-parse", "main").strip()
    result = GitRepository(repo)
    merge = subprocess.run(["git", "merge", "main"], cwd=repo, capture_output=True, text=True)
    assert merge.returncode != 0
    integration = result.integration()
    assert integration is not None
    assert (integration.kind, integration.other, integration.branch) == ("merge", main, "HEAD")
    assert result.unmerged_paths() == ["migrations/teamigrate.sum"]


def test_rebase_in_progress_swaps_ours_and_theirs(repo: Path) -> None:
    diverge(repo)
    main = git(repo, "rev-parse", "main").strip()
    feature = git(repo, "rev-parse", "feature").strip()
    rebase = subprocess.run(["git", "rebase", "main"], cwd=repo, capture_output=True, text=True)
    assert rebase.returncode != 0
    integration = GitRepository(repo).integration()
    assert integration is not None
    # git's "ours" is main here; teamigrate names the sides by what they are.
    assert (integration.kind, integration.other, integration.branch) == ("rebase", main, feature)


def test_head_commit_from_any_folder_of_the_work_tree_and_none_where_there_is_none(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from teamigrate.git import head_commit, head_commit_later

    head = git(repo, "rev-parse", "HEAD").strip()
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    answer = head_commit_later(repo)
    assert answer() == head
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))  # a hook's variable: ignored
    assert head_commit(repo) == head and head_commit(repo / "migrations") == head
    assert head_commit(other) is None  # no commit yet
    assert head_commit(tmp_path) is None  # not a repository
    assert head_commit(tmp_path / "missing") is None

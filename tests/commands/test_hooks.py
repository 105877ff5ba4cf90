"""`hooks install` / `hooks uninstall` and the hook scripts themselves, in real git repositories."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from teamigrate.commands.hooks import HOOK_NAMES, MARKER, render_hook
from tests.conftest import git, run_cli

REPOSITORY = Path(__file__).resolve().parents[2]
# Nothing listens here: every command that touches the database fails fast.
UNREACHABLE = "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README").write_text("hello\n")
    git(root, "add", "README")
    git(root, "commit", "-q", "-m", "first")
    return root


def hooks_dir(root: Path) -> Path:
    return root / ".git" / "hooks"


def write_hook(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_templates_in_hooks_folder_are_the_ones_the_package_ships() -> None:
    for name in HOOK_NAMES:
        top_level = (REPOSITORY / "hooks" / name).read_text()
        shipped = (REPOSITORY / "teamigrate" / "templates" / f"hook-{name}").read_text()
        assert top_level == shipped, f"hooks/{name} and teamigrate/templates/hook-{name} differ: copy one over the other"
        assert MARKER in top_level


def test_pre_commit_framework_manifest_is_valid_and_offers_both_hooks() -> None:
    manifest = REPOSITORY / ".pre-commit-hooks.yaml"
    checked = subprocess.run([str(Path(sys.executable).parent / "pre-commit"), "validate-manifest", str(manifest)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    import yaml

    hooks = {hook["id"]: hook for hook in yaml.safe_load(manifest.read_text())}
    assert hooks["teamigrate-check"]["entry"] == "teamigrate check --staged"
    assert hooks["teamigrate-check"]["pass_filenames"] is False
    assert hooks["teamigrate-lint"]["entry"] == "teamigrate lint"
    assert {hook["language"] for hook in hooks.values()} == {"python"}


def test_install_writes_three_executable_hooks_that_call_this_python(repo: Path, tmp_path: Path) -> None:
    # A teamigrate home of its own, where no daemon can run (a guide may run one in the session's).
    result = run_cli(["hooks", "install"], repo, {"TEAMIGRATE_HOME": str(tmp_path / "home")})
    assert result.returncode == 0, result.stderr
    for name in HOOK_NAMES:
        hook = hooks_dir(repo) / name
        assert hook.stat().st_mode & stat.S_IXUSR
        text = hook.read_text()
        assert MARKER in text
        assert f"TEAMIGRATE_PYTHON={sys.executable}\n" in text
        assert text == render_hook(name, sys.executable)
        assert f"installed {hook}" in result.stdout
    # No daemon runs there: the tip names it.
    assert "tip: `teamigrate daemon start`" in result.stderr
    # Installing again replaces teamigrate's own hooks and keeps no .legacy of them.
    assert run_cli(["hooks", "install"], repo).returncode == 0
    assert not list(hooks_dir(repo).glob("*.legacy"))


def test_existing_hook_is_kept_as_legacy_still_runs_and_uninstall_restores_it(repo: Path) -> None:
    original = "echo legacy-ran \"$1 $2 $3\" >> \"$(git rev-parse --git-dir)/legacy.log\""
    write_hook(hooks_dir(repo) / "post-checkout", original)
    result = run_cli(["hooks", "install"], repo)
    assert result.returncode == 0, result.stderr
    assert "kept your post-checkout hook as post-checkout.legacy" in result.stdout
    assert original in (hooks_dir(repo) / "post-checkout.legacy").read_text()
    assert MARKER in (hooks_dir(repo) / "post-checkout").read_text()

    # A file checkout (third argument 0): only the legacy hook has anything to do.
    git(repo, "checkout", "--", "README")
    log = (repo / ".git" / "legacy.log").read_text().splitlines()
    assert len(log) == 1 and log[0].endswith(" 0")

    uninstall = run_cli(["hooks", "uninstall"], repo)
    assert uninstall.returncode == 0, uninstall.stderr
    assert (hooks_dir(repo) / "post-checkout").read_text() == f"#!/bin/sh\n{original}\n"
    assert not (hooks_dir(repo) / "post-checkout.legacy").exists()
    assert not (hooks_dir(repo) / "pre-commit").exists()
    assert not (hooks_dir(repo) / "post-merge").exists()


def test_failing_legacy_pre_commit_still_refuses_the_commit(repo: Path) -> None:
    write_hook(hooks_dir(repo) / "pre-commit", "echo legacy-refuses >&2; exit 3")
    assert run_cli(["hooks", "install"], repo).returncode == 0
    (repo / "README").write_text("changed\n")
    git(repo, "add", "README")
    commit = subprocess.run(["git", "commit", "-q", "-m", "x"], cwd=repo, capture_output=True, text=True)
    assert commit.returncode != 0
    assert "legacy-refuses" in commit.stderr


def test_pre_commit_refuses_a_commit_when_teamigrate_refuses(repo: Path) -> None:
    (repo / "teamigrate.yaml").write_text("migratoins: migrations\n")
    assert run_cli(["hooks", "install"], repo).returncode == 0
    git(repo, "add", "teamigrate.yaml")
    commit = subprocess.run(["git", "commit", "-q", "-m", "x"], cwd=repo, capture_output=True, text=True)
    assert commit.returncode != 0
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "1"


def test_hook_falls_back_to_teamigrate_on_path_and_says_so_when_neither_exists(repo: Path) -> None:
    assert run_cli(["hooks", "install"], repo).returncode == 0
    hook = hooks_dir(repo) / "pre-commit"
    hook.write_text(hook.read_text().replace(f"TEAMIGRATE_PYTHON={sys.executable}", "TEAMIGRATE_PYTHON=/nonexistent/python"))
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    (repo / "README").write_text("changed\n")
    git(repo, "add", "README")
    commit = subprocess.run(["git", "commit", "-q", "-m", "x"], cwd=repo, capture_output=True, text=True, env=env)
    assert commit.returncode != 0
    assert "error: teamigrate is not installed here (/nonexistent/python is gone" in commit.stderr
    assert "git commit --no-verify" in commit.stderr


def test_install_refuses_core_hooks_path_without_force(repo: Path) -> None:
    git(repo, "config", "core.hooksPath", ".githooks")
    result = run_cli(["hooks", "install"], repo)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "error[TM502]: git config core.hooksPath is set (.githooks): git runs the hooks there, not teamigrate's"
    assert result.stderr.splitlines()[1].startswith("hint: ")
    assert "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (repo / ".githooks").exists()
    assert not (hooks_dir(repo) / "pre-commit").exists()

    forced = run_cli(["hooks", "install", "--force"], repo)
    assert forced.returncode == 0, forced.stderr
    for name in HOOK_NAMES:
        assert MARKER in (repo / ".githooks" / name).read_text()
    assert run_cli(["hooks", "uninstall"], repo).returncode == 0
    assert not (repo / ".githooks" / "pre-commit").exists()


def test_install_refuses_when_a_foreign_hook_and_its_legacy_both_exist(repo: Path) -> None:
    write_hook(hooks_dir(repo) / "post-merge", "echo mine")
    write_hook(hooks_dir(repo) / "post-merge.legacy", "echo older")
    result = run_cli(["hooks", "install"], repo)
    assert result.returncode == 1
    assert result.stderr.startswith("error[TM503]: ")
    # Nothing half-installed.
    assert not (hooks_dir(repo) / "pre-commit").exists()
    assert (hooks_dir(repo) / "post-merge").read_text() == "#!/bin/sh\necho mine\n"


def test_uninstall_leaves_a_foreign_hook_alone(repo: Path) -> None:
    write_hook(hooks_dir(repo) / "pre-commit", "exit 0")
    result = run_cli(["hooks", "uninstall"], repo)
    assert result.returncode == 0
    assert "left" in result.stderr and "not teamigrate's" in result.stderr
    assert (hooks_dir(repo) / "pre-commit").exists()


def test_install_outside_git_is_an_error(tmp_path: Path) -> None:
    result = run_cli(["hooks", "install"], tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error[TM500]: ")


def test_post_merge_never_fails_the_merge(repo: Path) -> None:
    # A project whose database cannot be reached: `sync` fails, the merge does not.
    (repo / "teamigrate.yaml").write_text(f"database_url: {UNREACHABLE}\n")
    (repo / "migrations").mkdir()
    (repo / "migrations" / "teamigrate.sum").write_text("")
    git(repo, "add", "teamigrate.yaml", "migrations")
    git(repo, "commit", "-q", "-m", "project")
    legacy = "echo legacy-post-merge-ran; exit 5"
    write_hook(hooks_dir(repo) / "post-merge", legacy)
    assert run_cli(["hooks", "install"], repo).returncode == 0
    # The pre-commit hook's `check` is not what this test is about.
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "feature.txt").write_text("x\n")
    git(repo, "add", "feature.txt")
    git(repo, "commit", "-q", "--no-verify", "-m", "feature")
    git(repo, "checkout", "-q", "main")
    (repo / "main.txt").write_text("y\n")
    git(repo, "add", "main.txt")
    git(repo, "commit", "-q", "--no-verify", "-m", "main")

    merge = subprocess.run(["git", "merge", "--no-edit", "feature"], cwd=repo, capture_output=True, text=True)
    assert merge.returncode == 0, merge.stderr
    assert "legacy-post-merge-ran" in merge.stderr  # git passes hook output on to stderr
    assert "error[TM111]" in merge.stderr
    assert "warning: the local database was not synced" in merge.stderr
    assert (repo / "feature.txt").exists()


@pytest.mark.parametrize("subfolder", ["", "services/api"])
def test_pre_commit_hook_refuses_a_schema_change_without_a_migration_until_new(tmp_path: Path, make_database, subfolder: str) -> None:  # type: ignore[no-untyped-def]
    # With a subfolder, the project lives inside a bigger repository (a monorepo); git runs hooks at its top.
    root = tmp_path / "app"
    project = root / subfolder
    project.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    assert run_cli(["init"], project).returncode == 0
    config = project / "teamigrate.yaml"
    config.write_text(config.read_text().replace("database_url: ${DATABASE_URL:-}", f"database_url: {make_database()}", 1) + "\nschema: schema.sql\n")
    (project / "schema.sql").write_text("")
    installed = run_cli(["hooks", "install"], project)
    assert installed.returncode == 0, installed.stderr
    assert (f"with {subfolder}/teamigrate.yaml" in installed.stdout) is bool(subfolder)
    git(root, "add", "-A")
    first = subprocess.run(["git", "commit", "-q", "-m", "init"], cwd=root, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr

    (project / "schema.sql").write_text("CREATE TABLE users (id bigint PRIMARY KEY);\n")
    git(root, "add", "-A")
    refused = subprocess.run(["git", "commit", "-q", "-m", "users"], cwd=root, capture_output=True, text=True)
    assert refused.returncode != 0
    assert "error[TM524]" in refused.stderr and "teamigrate new" in refused.stderr
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"

    assert run_cli(["new", "add_users"], project).returncode == 0
    git(root, "add", "-A")
    accepted = subprocess.run(["git", "commit", "-q", "-m", "users"], cwd=root, capture_output=True, text=True)
    assert accepted.returncode == 0, accepted.stderr
    assert "check passed: 1 migration" in accepted.stderr
    assert git(root, "rev-list", "--count", "HEAD").strip() == "2"


# --- a hook never runs itself (the pre-commit framework beside `hooks install`) ---------------

# A normal commit's hooks run a handful of processes; a hook that starts itself again runs hundreds within a second.
_CROWD = 100
_LIMIT = 60.0


def _group_size(group: int) -> int:
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat_line = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so split after the last ')'.
        fields = stat_line[stat_line.rindex(")") + 2:].split()
        if int(fields[2]) == group:
            count += 1
    return count


def run_bounded(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `args` in a process group of its own; kill the whole group and fail when it loops.

    A hook that runs itself forks until the machine cannot: a time limit alone would
    let it take every process slot first, so the group's size is watched as well.
    """
    process = subprocess.Popen(args, cwd=cwd, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    started = time.monotonic()
    while True:
        try:
            stdout, stderr = process.communicate(timeout=0.2)
            return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)
        except subprocess.TimeoutExpired:
            pass
        crowd = _group_size(process.pid)
        if crowd > _CROWD or time.monotonic() - started > _LIMIT:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            pytest.fail(f"{' '.join(args)} did not finish ({crowd} processes after {time.monotonic() - started:.0f} s): "
                        f"a hook runs itself?\n{stdout[-2000:]}\n{stderr[-2000:]}")


FRAMEWORK_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: always-true
        name: always true
        entry: "true"
        language: system
        always_run: true
        pass_filenames: false
"""


def _pre_commit(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The framework's own cache in the test's folder; a `repo: local` hook needs no network.
    result = run_bounded([str(Path(sys.executable).parent / "pre-commit"), *args], root, {"PRE_COMMIT_HOME": str(root.parent / "pre-commit-home")})
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _framework_project(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    assert run_cli(["init"], root).returncode == 0
    (root / ".pre-commit-config.yaml").write_text(FRAMEWORK_CONFIG)
    git(root, "add", "-A")
    return root


@pytest.mark.parametrize("order", ["teamigrate first", "framework first"])
def test_commit_finishes_with_the_pre_commit_framework_beside_teamigrate_hooks(tmp_path: Path, order: str) -> None:
    root = _framework_project(tmp_path)
    if order == "framework first":
        _pre_commit(root, "install")
    installed = run_cli(["hooks", "install"], root)
    assert installed.returncode == 0, installed.stderr
    if order == "teamigrate first":
        # This repository uses the framework: install says how the two fit together before `pre-commit install` moves ours.
        assert "`pre-commit install` keeps teamigrate's hooks as <hook>.legacy" in installed.stderr
        moved = _pre_commit(root, "install")
        assert "migration mode" in moved.stdout
    else:
        # The framework's hook keeps its place and runs teamigrate's, as `pre-commit install` would have arranged it.
        assert f"installed {hooks_dir(root) / 'pre-commit.legacy'} (the pre-commit framework's pre-commit hook runs it first)" in installed.stdout
        assert "the pre-commit framework runs teamigrate's hooks as <hook>.legacy" in installed.stderr
    assert "File generated by pre-commit" in (hooks_dir(root) / "pre-commit").read_text()
    assert MARKER in (hooks_dir(root) / "pre-commit.legacy").read_text()

    commit = run_bounded(["git", "commit", "-m", "project"], root, {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")})
    assert commit.returncode == 0, commit.stdout + commit.stderr
    said = commit.stdout + commit.stderr
    assert said.count("check passed") == 1, said  # teamigrate's check, run once, by the framework's hook
    assert "always true" in said and "Passed" in said
    assert git(root, "rev-list", "--count", "HEAD").strip() == "1"

    # Uninstall takes teamigrate's hook out from under the framework's and leaves the framework's.
    removed = run_cli(["hooks", "uninstall"], root)
    assert removed.returncode == 0, removed.stderr
    assert not (hooks_dir(root) / "pre-commit.legacy").exists()
    assert "File generated by pre-commit" in (hooks_dir(root) / "pre-commit").read_text()


def test_install_puts_the_framework_hook_back_where_an_older_install_moved_it(tmp_path: Path) -> None:
    root = _framework_project(tmp_path)
    _pre_commit(root, "install")
    # What `teamigrate hooks install` did before it knew the framework: the framework's script as pre-commit.legacy,
    # where it runs itself once and stops with "installed in migration mode".
    framework = (hooks_dir(root) / "pre-commit").read_text()
    (hooks_dir(root) / "pre-commit").replace(hooks_dir(root) / "pre-commit.legacy")
    write_hook(hooks_dir(root) / "pre-commit", render_hook("pre-commit", sys.executable).removeprefix("#!/bin/sh\n"))

    installed = run_cli(["hooks", "install"], root)
    assert installed.returncode == 0, installed.stderr
    assert "moved the pre-commit framework's pre-commit hook back from pre-commit.legacy" in installed.stdout
    assert (hooks_dir(root) / "pre-commit").read_text() == framework
    assert MARKER in (hooks_dir(root) / "pre-commit.legacy").read_text()
    commit = run_bounded(["git", "commit", "-m", "project"], root, {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")})
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert (commit.stdout + commit.stderr).count("check passed") == 1


def test_install_says_so_when_the_framework_runs_teamigrates_check_already(tmp_path: Path) -> None:
    root = _framework_project(tmp_path)
    (root / ".pre-commit-config.yaml").write_text(FRAMEWORK_CONFIG + "      - id: teamigrate-check\n        name: teamigrate check\n"
                                                  "        entry: teamigrate check --staged\n        language: system\n        pass_filenames: false\n")
    installed = run_cli(["hooks", "install"], root)
    assert installed.returncode == 0, installed.stderr
    assert ".pre-commit-config.yaml runs teamigrate's check already, so every commit is checked twice" in installed.stderr
    assert "`pre-commit install -f`" in installed.stderr


def test_install_refuses_when_the_framework_runs_another_legacy_hook(tmp_path: Path) -> None:
    root = _framework_project(tmp_path)
    write_hook(hooks_dir(root) / "pre-commit", "echo mine")
    _pre_commit(root, "install")  # keeps "mine" as pre-commit.legacy
    refused = run_cli(["hooks", "install"], root)
    assert refused.returncode == 1
    assert refused.stderr.startswith("error[TM503]: ") and "pre-commit framework's" in refused.stderr
    assert (hooks_dir(root) / "pre-commit.legacy").read_text() == "#!/bin/sh\necho mine\n"
    assert not (hooks_dir(root) / "post-merge").exists()  # nothing half-installed


# How each hook is started by git in the test below, and the line teamigrate prints once per run of it
# (there is no teamigrate.yaml: every run of teamigrate fails the same way).
_HOOK_RUNS = {
    "pre-commit": ((), "error[TM101]"),
    "post-merge": (("0",), "warning: the local database was not synced"),
    "post-checkout": (("0" * 40, "1" * 40, "1"), "warning: could not compare the local database"),
    "post-rewrite": (("rebase",), "warning: the local database was not synced"),
}


@pytest.mark.parametrize("legacy", ["symlink to itself", "copy of itself", "hook that calls it back"])
@pytest.mark.parametrize("name", HOOK_NAMES)
def test_a_hook_whose_legacy_is_itself_runs_teamigrate_once(repo: Path, name: str, legacy: str) -> None:
    assert run_cli(["hooks", "install"], repo).returncode == 0
    hook = hooks_dir(repo) / name
    if legacy == "symlink to itself":
        (hooks_dir(repo) / f"{name}.legacy").symlink_to(name)
    elif legacy == "copy of itself":
        shutil.copy2(hook, hooks_dir(repo) / f"{name}.legacy")
    else:
        write_hook(hooks_dir(repo) / f"{name}.legacy", f'exec "$(dirname "$0")/{name}" "$@"')
    args, once = _HOOK_RUNS[name]
    ran = run_bounded([str(hook), *args], repo)
    assert (ran.stdout + ran.stderr).count(once) == 1, ran.stdout + ran.stderr

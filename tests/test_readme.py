"""The README is part of the contract: its codes and its two set-up commands must stay true."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from teamigrate.errors import CODES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _command_after(marker: str) -> str:
    block = README.split(f"<!-- {marker} -->", 1)[1]
    match = re.search(r"```console\n(.+?)\n```", block, re.S)
    assert match, f"no console block after {marker}"
    return match.group(1).strip()


def test_every_diagnostic_code_is_documented() -> None:
    section = README.split("<!-- codes:start -->", 1)[1].split("<!-- codes:end -->", 1)[0]
    missing = [code for code in CODES if f"`{code}`" not in section]
    assert not missing, f"README lacks {missing}: regenerate the codes table"


def test_the_set_up_has_exactly_two_commands() -> None:
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    assert setup.count("```console") == 2
    assert "pytest" in _command_after("readme-test-command")
    assert (ROOT / ".ci" / "run").read_text().count(_command_after("readme-test-command")) == 1


def test_the_main_command_works_in_a_fresh_venv_without_postgresql(tmp_path: Path) -> None:
    """README's first command, verbatim, in a copy of the repository, with no PostgreSQL on PATH."""
    if os.environ.get("TEAMIGRATE_SKIP_FRESH_VENV") == "1":
        pytest.skip("TEAMIGRATE_SKIP_FRESH_VENV=1")
    checkout = tmp_path / "teamigrate"
    shutil.copytree(ROOT, checkout, ignore=shutil.ignore_patterns(".venv", ".git", "*.egg-info", "__pycache__", "build", "demo"))
    # Only what a fresh machine has: python, git, a shell and coreutils; no psql, no pg_ctl.
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "python3").symlink_to(Path(sys.base_prefix) / "bin" / "python3")
    for name in ("git", "sh", "bash", "mkdir", "unshare", "env", "uname", "cat", "rm", "ln", "id"):
        found = shutil.which(name)
        if found:
            (tools / name).symlink_to(found)
    env = {
        "PATH": str(tools),
        "HOME": str(tmp_path),
        "TEAMIGRATE_HOME": os.environ["TEAMIGRATE_HOME"],
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE", "XDG_CONFIG_HOME"):
        if name in os.environ:
            env[name] = os.environ[name]
    if Path("/root/.cache/pip").is_dir():
        env["PIP_CACHE_DIR"] = "/root/.cache/pip"
    result = subprocess.run(["bash", "-c", _command_after("readme-main-command")], cwd=checkout, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "applied" in result.stdout

"""Every guide in docs/ is run: its console blocks in order, in a fresh project folder, against the embedded server.

The convention ($ commands, expected lines with `...`, `[exit N]`) is written
down for readers at the top of docs/README.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from teamigrate.config import Config
from teamigrate.errors import CODES
from teamigrate.server.shadow import ShadowServer
from teamigrate.workspace.project import development_database_name
from teamigrate.server.cluster import PostgresCluster, embedded_bin_dir, teamigrate_home

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
INDEX = DOCS / "README.md"
GUIDES = sorted(path for path in DOCS.glob("*.md") if path != INDEX)
TROUBLESHOOTING = DOCS / "15-troubleshooting.md"
CI_RECIPES = DOCS / "16-ci-recipes.md"
COMMAND_TIMEOUT = 180
PG15_BIN = "/usr/lib/postgresql/15/bin"

_FENCE = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
_HEREDOC = re.compile(r"(?<!<)<<(?!<)-?\s*(['\"]?)(\w+)\1")
_EXIT = re.compile(r"^\[exit (\d+)\]$")


@dataclass(frozen=True)
class Step:
    command: str
    expected: tuple[str, ...]
    exit_code: int
    line: int  # where the command is in the page, for failure messages


def console_blocks(text: str) -> list[tuple[int, str]]:
    """(first line number, body) of each ```console block."""
    return [(text.count("\n", 0, match.start(1)) + 1, match.group(1)) for match in _FENCE.finditer(text)]


def parse_block(body: str, first_line: int) -> list[Step]:
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    steps: list[Step] = []
    index = 0
    while index < len(lines):
        if not lines[index].startswith("$ "):
            raise ValueError(f"line {first_line + index}: output before any command: {lines[index]!r}")
        start = index
        command_lines = [lines[index][2:]]
        index += 1
        # A trailing backslash continues the command; a heredoc runs to its terminator.
        while command_lines[-1].endswith("\\") and index < len(lines):
            command_lines.append(lines[index])
            index += 1
        for heredoc in _HEREDOC.finditer("\n".join(command_lines)):
            terminator = heredoc.group(2)
            while index < len(lines) and lines[index] != terminator:
                command_lines.append(lines[index])
                index += 1
            if index == len(lines):
                raise ValueError(f"line {first_line + start}: heredoc {terminator} never ends")
            command_lines.append(lines[index])
            index += 1
        expected: list[str] = []
        while index < len(lines) and not lines[index].startswith("$ "):
            expected.append(lines[index])
            index += 1
        exit_code = 0
        if expected and (exit_line := _EXIT.match(expected[0].strip())):
            exit_code = int(exit_line.group(1))
            expected = expected[1:]
        steps.append(Step("\n".join(command_lines), tuple(line for line in expected if line.strip()), exit_code, first_line + start))
    return steps


def page_steps(page: Path) -> list[Step]:
    text = page.read_text()
    return [step for first_line, body in console_blocks(text) for step in parse_block(body, first_line)]


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _pattern(expected_line: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in _normalise(expected_line).split("...")))


def unmatched_line(expected: tuple[str, ...], output: str) -> str | None:
    """The first expected line that does not appear (in order) in the output, or None."""
    actual = [_normalise(line) for line in output.splitlines()]
    position = 0
    for wanted in expected:
        if wanted.strip() == "...":
            continue
        pattern = _pattern(wanted)
        while position < len(actual) and not pattern.search(actual[position]):
            position += 1
        if position == len(actual):
            return wanted
        position += 1
    return None


def _script(command: str, state: Path) -> str:
    # Each command is its own bash process; the folder and exports it leaves behind are restored for the next.
    return (
        f"cd \"$(cat {state}/cwd)\" && . {state}/env\n"
        f"trap 'code=$?; pwd > {state}/cwd; export -p > {state}/env; exit $code' EXIT\n"
        f"{command}\n"
    )


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "SHADOW_DATABASE_URL", "TEAMIGRATE_CONFIG", "TEAMIGRATE_DEBUG", "TEAMIGRATE_DAEMON"):
        env.pop(name, None)
    # `teamigrate` from this venv first; PostgreSQL's client tools (createdb, psql) from the embedded wheel last.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", ""), str(embedded_bin_dir())])
    env["COLUMNS"] = "120"
    env["GIT_EDITOR"] = "true"
    env["GIT_CONFIG_GLOBAL"] = "/dev/null"
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    return env


def _drop_development_databases(folder: Path) -> None:
    # On the embedded server, and on every pg_bin cluster running in this home: a page that set pg_bin
    # (and perhaps unset it again) has a development database there too.
    servers = [ShadowServer.embedded()]
    for home in teamigrate_home().glob("server-*"):
        cluster = PostgresCluster(Path("/nonexistent"), home)
        if cluster.status().running:
            servers.append(ShadowServer(cluster.url(), cluster))
    for config_path in folder.rglob("teamigrate.yaml"):
        for server in servers:
            server.drop_database(development_database_name(Config(path=config_path)))


@pytest.mark.parametrize("page", GUIDES, ids=lambda path: path.name)
def test_guide_runs_as_written(page: Path, tmp_path: Path) -> None:
    if PG15_BIN in page.read_text() and not Path(PG15_BIN, "postgres").is_file():
        pytest.skip(f"{page.name} uses PostgreSQL 15 from {PG15_BIN}, which this machine lacks")
    steps = page_steps(page)
    assert steps or page == CI_RECIPES, f"{page.name} has no console block"
    project = tmp_path / "project"
    project.mkdir()
    state = tmp_path / "state"
    state.mkdir()
    (state / "cwd").write_text(str(project))
    (state / "env").write_text("")
    env = _environment()
    try:
        for step in steps:
            # One pipe for both streams keeps their lines in the order the reader sees them.
            result = subprocess.run(["bash", "-c", _script(step.command, state)], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, timeout=COMMAND_TIMEOUT)
            output = result.stdout
            where = f"{page.name}:{step.line}: $ {step.command}\n--- output (exit {result.returncode}) ---\n{output}"
            assert result.returncode == step.exit_code, f"expected exit {step.exit_code}\n{where}"
            assert "Traceback" not in output, where
            missing = unmatched_line(step.expected, output)
            assert missing is None, f"expected line not found: {missing!r}\n{where}"
    finally:
        _drop_development_databases(tmp_path)


def test_troubleshooting_names_every_code() -> None:
    text = TROUBLESHOOTING.read_text()
    missing = [code for code in CODES if not re.search(rf"^#+ .*\b{code}\b", text, re.M)]
    assert not missing, f"troubleshooting.md has no heading for {missing}"


def test_readme_links_every_guide() -> None:
    guides = (ROOT / "README.md").read_text().split("## Guides", 1)[1].split("\n## ", 1)[0]
    missing = [page.name for page in GUIDES if f"(docs/{page.name})" not in guides]
    assert not missing, f"README's Guides section does not link {missing}"


def test_index_links_every_guide() -> None:
    text = INDEX.read_text()
    missing = [page.name for page in GUIDES if f"({page.name})" not in text]
    assert not missing, f"docs/README.md does not link {missing}"


def test_ci_recipe_is_a_github_actions_workflow() -> None:
    import yaml

    blocks = re.findall(r"^```yaml\n(.*?)^```", CI_RECIPES.read_text(), re.S | re.M)
    workflows = [yaml.safe_load(block) for block in blocks]
    jobs = [job for workflow in workflows if isinstance(workflow, dict) and "jobs" in workflow for job in workflow["jobs"].values()]
    commands = " ".join(str(step.get("run", "")) for job in jobs for step in job.get("steps", []))
    assert "teamigrate check" in commands and "teamigrate deploy" in commands


def test_the_convention_parses_heredocs_exit_codes_and_wildcards() -> None:
    steps = parse_block("$ cat > a.sql <<'SQL'\nSELECT 1;\nSQL\n$ false\n[exit 1]\nerror[TM100]: ...\n", 1)
    assert [step.command for step in steps] == ["cat > a.sql <<'SQL'\nSELECT 1;\nSQL", "false"]
    assert [step.command for step in parse_block("$ cat <<< 'x'\nx\n", 1)] == ["cat <<< 'x'"]
    assert steps[1].exit_code == 1 and steps[1].expected == ("error[TM100]: ...",)
    assert unmatched_line(("applied ..._init (... ms)", "...", "done"), "applied 2026_init (3 ms)\nx\ndone\n") is None
    assert unmatched_line(("done", "applied"), "applied\ndone\n") == "applied"

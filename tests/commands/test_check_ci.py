"""`check` in CI: `--base` against a merge queue's tip of main, annotations for GitHub Actions, GitLab's Code Quality report."""

from __future__ import annotations

import json
import re
import subprocess

from teamigrate.commands.check_formats import Finding
from teamigrate.commands.check_formats import Layout, github_annotations
from tests.commands.conftest import Team, assert_refused

BASE = "CREATE TABLE users (id bigint PRIMARY KEY);\nCREATE TABLE posts (id bigint PRIMARY KEY, body text);\n"
TITLE = "20260203000000_posts_title"

_COMMAND = re.compile(r"^::(error|warning|notice) (.*?)::(.*)$")


def _unescape(text: str) -> str:
    return text.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def parse_annotations(text: str) -> list[dict[str, str]]:
    """GitHub's side of `::error file=…,line=…,title=…::message`: properties split on `,` and `=`, then unescaped."""
    found = []
    for line in text.splitlines():
        match = _COMMAND.match(line)
        assert match, f"not a workflow command: {line!r}"
        properties = dict(item.split("=", 1) for item in match.group(2).split(","))
        found.append({"level": match.group(1), **{k: _unescape(v) for k, v in properties.items()}, "message": _unescape(match.group(3))})
    return found


def test_annotations_escape_what_would_end_a_property_or_the_message() -> None:
    layout = Layout(prefix="db", migrations="db/migrations", schema=None, config="db/teamigrate.yaml")
    tricky = Finding("TM523", "100% sure: a, b\r\nand c", "fix it:\nnow", path="migrations/x,y:z/migration.sql", line=7)
    [command] = github_annotations([tricky], layout)
    assert "\n" not in command and "\r" not in command
    [parsed] = parse_annotations(command)
    assert parsed == {"level": "error", "file": "db/migrations/x,y:z/migration.sql", "line": "7", "title": "teamigrate TM523",
                      "message": "100% sure: a, b\r\nand c\nhint: fix it:\nnow"}


def test_base_catches_what_a_stale_main_misses_and_the_forges_see_it_on_the_line(team: Team) -> None:
    alice = team.developer("alice")
    alice.add_migration("20260101000000_base", BASE)
    alice.git("push", "-q", "origin", "main")
    alice.git("checkout", "-q", "-b", "feat")
    alice.add_migration(TITLE, "-- a title for every post\nALTER TABLE posts ADD COLUMN title text;\n")
    # Bob's work lands on main meanwhile: posts is dropped, in a migration that sorts before feat's.
    bob = team.developer("bob")
    bob.add_migration("20260202000000_drop_posts", "DROP TABLE posts;\n")
    bob.git("push", "-q", "origin", "main")
    alice.git("fetch", "-q", "origin")

    # Against the stale local main the branch looks fine; against the real tip, feat's column meets a dropped table.
    assert alice.run("check", "--no-cache", "--base", "main").returncode == 0
    merged = alice.run("check", "--no-cache", "--base", "origin/main", "--format", "github")
    assert merged.returncode == 1, merged.stderr
    [annotation] = parse_annotations(merged.stdout)
    assert annotation["file"] == f"migrations/{TITLE}/migration.sql" and annotation["line"] == "2"
    assert annotation["title"] == "teamigrate TM211"
    assert annotation["message"].startswith("merged with origin/main (which gained 20260202000000_drop_posts): ")
    assert 'relation "posts" does not exist' in annotation["message"]

    # Main moves on again: now feat's migration also sorts before main's newest.
    bob.add_migration("20260204000000_audit", "CREATE TABLE audit (id bigint PRIMARY KEY);\n")
    bob.git("push", "-q", "origin", "main")
    alice.git("fetch", "-q", "origin")
    gitlab = alice.run("check", "--no-cache", "--base", "origin/main", "--format", "gitlab")
    assert gitlab.returncode == 1, gitlab.stderr
    [issue] = json.loads(gitlab.stdout)
    assert issue["check_name"] == "teamigrate/TM521" and issue["severity"] == "major"
    assert issue["location"] == {"path": f"migrations/{TITLE}/migration.sql", "lines": {"begin": 1}}
    assert "sorts before 20260204000000_audit, already on origin/main" in issue["description"]
    assert re.fullmatch(r"[0-9a-f]{64}", issue["fingerprint"])
    again = alice.run("check", "--no-cache", "--base", "origin/main", "--format", "gitlab")
    assert json.loads(again.stdout)[0]["fingerprint"] == issue["fingerprint"]
    # The stale base still misses both.
    assert alice.run("check", "--no-cache", "--base", "main", "--format", "github").stdout == ""

    assert_refused(alice.run("check", "--base", "no-such-branch"), "TM510")


def _invocations(text: str) -> set[tuple[str, ...]]:
    """Each `teamigrate VERB --flag …` in shell text, as (verb, sorted flags): what a command asks for, whatever its values."""
    found = set()
    for match in re.finditer(r"\bteamigrate ([a-z]+)((?: +(?:--[a-z-]+|\"[^\"]*\"|[^\s>|&;]+))*)", text):
        flags = sorted(set(re.findall(r"--[a-z-]+", match.group(2))))
        found.add((match.group(1), *flags))
    return found


def test_the_ci_guide_runs_every_teamigrate_command_its_workflow_shows() -> None:
    import yaml

    from tests.docs.test_guides import CI_RECIPES, page_steps

    text = CI_RECIPES.read_text()
    [workflow] = [w for w in (yaml.safe_load(b) for b in re.findall(r"^```yaml\n(.*?)^```", text, re.S | re.M))
                  if isinstance(w, dict) and "merge-queue" in w.get("jobs", {})]
    assert {"pull_request", "merge_group", "push"} <= set(workflow[True] if True in workflow else workflow["on"])
    runs = " ; ".join(str(step.get("run", "")) for job in workflow["jobs"].values() for step in job["steps"])
    shown = {i for i in _invocations(runs) if i[0] in ("check", "changes")}
    run_by_the_suite = _invocations(" ; ".join(step.command for step in page_steps(CI_RECIPES)))
    assert shown and shown <= run_by_the_suite, shown - run_by_the_suite
    from teamigrate.commands.pr_story import MARKER

    assert MARKER in runs  # the sticky comment is found by the story's first line
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            # Values reach scripts through env, never as ${{ }} inside them (a branch name is not shell-safe); and they parse.
            script = str(step.get("run", ""))
            assert "${{" not in script, script
            assert subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True).returncode == 0, script

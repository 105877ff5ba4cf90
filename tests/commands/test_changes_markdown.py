"""`changes --format markdown`: the pull request comment, compared with a golden file, and its Mermaid picture of the order."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.commands.conftest import Developer, Team

GOLDEN = Path(__file__).parent / "golden" / "changes_two_branch_collision.md"
BASE = "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nCREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint, body text);\n"


def _two_branch_collision(team: Team) -> Developer:
    """main gained a change to users.email after `feat` left it; `feat` changes users.email too (in a migration that
    sorts before main's) and adds a column to posts; `other`, another open branch, drops posts."""
    alice = team.developer("alice")
    alice.add_migration("20260101000000_base", BASE)
    alice.git("push", "-q", "origin", "main")
    alice.git("checkout", "-q", "-b", "feat")
    alice.add_migration("20260131000000_email_required", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n")
    alice.add_migration("20260203000000_posts_title", "ALTER TABLE posts ADD COLUMN title text NOT NULL;\n")
    alice.git("push", "-q", "-u", "origin", "feat")
    alice.git("checkout", "-q", "main")
    alice.git("checkout", "-q", "-b", "other")
    alice.add_migration("20260204000000_drop_posts", "DROP TABLE posts;\n")
    alice.git("push", "-q", "-u", "origin", "other")
    alice.git("checkout", "-q", "main")
    alice.add_migration("20260201000000_email_length", "ALTER TABLE users ALTER COLUMN email TYPE varchar(200);\n")
    alice.git("push", "-q", "origin", "main")
    alice.git("checkout", "-q", "feat")
    return alice


def _normalised(markdown: str) -> str:
    # Commit ids change with every run (they hash the commit's date); nothing else may.
    return re.sub(r"`[0-9a-f]{10}`", "`<commit>`", markdown)


def test_markdown_for_a_two_branch_collision_matches_the_golden_file(team: Team) -> None:
    alice = _two_branch_collision(team)
    result = alice.run("changes", "--all-branches", "--head", "feat", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    markdown = _normalised(result.stdout)
    if os.environ.get("TEAMIGRATE_UPDATE_GOLDEN"):
        GOLDEN.write_text(markdown)
    assert markdown == GOLDEN.read_text()
    # Stable: a second run says the same, byte for byte.
    assert alice.ok("changes", "--all-branches", "--head", "feat", "--format", "markdown").stdout == result.stdout


def test_long_stories_are_capped_and_table_cells_stay_cells() -> None:
    from teamigrate.commands.comparison import Comparison, MigrationChanges, PairFailure, Side
    from teamigrate.errors import TeamigrateError
    from teamigrate.commands.pr_story import MAX_CHANGES, MAX_LANE, MAX_MIGRATIONS, render_markdown
    from teamigrate.schema.diff import Change

    columns = tuple(Change("column", "add", f"public.wide.c{i}", "public.wide", "a|b") for i in range(MAX_CHANGES + 3))
    head = Side('we"ird', tuple(MigrationChanges(f"2026010100{i:04d}_m", columns) for i in range(MAX_MIGRATIONS + 2)))
    comparison = Comparison("main", 'we"ird', "f" * 40, Side("main", ()), head, (), None, common_newest="20250101000000_init")
    markdown = render_markdown([comparison], [], {"20260101000000_m": ["a" * 10] * 5})
    rows = [line for line in markdown.splitlines() if line.startswith("| `2026")]
    assert len(rows) == MAX_MIGRATIONS and "| and 2 more | | |" in markdown
    # Every row has three cells: the `|` of a detail is escaped, the lists end in "and N more".
    assert all(row.replace("\\|", "").count("|") == 4 for row in rows)
    assert rows[0].endswith("<br>and 3 more | " + "<br>".join(["a" * 10] * 3) + "<br>and 2 more |")
    assert 'subgraph h_side ["we#quot;ird"]' in markdown and f'h_more["and {MAX_MIGRATIONS + 2 - MAX_LANE} more"]' in markdown
    assert len(markdown) < 6000

    # A pair that cannot be compared is named with its error; the rest of the story stays.
    failure = PairFailure("main", "broken", TeamigrateError("TM211", "migration x failed at\nline 1: no", "fix it"))
    with_failure = render_markdown([comparison], [failure], {})
    assert with_failure.startswith(markdown.split("| `2026", 1)[0])
    assert with_failure.endswith("### Not compared\n\n- `main` ↔ `broken`: error[TM211] migration x failed at line 1: no\n")


def test_a_pull_requests_branch_is_compared_with_main_and_each_other_open_branch() -> None:
    from teamigrate.planners.pairs import Branch, pairs_with

    branches = [Branch("feat", "1", False, "origin/feat"), Branch("origin/feat", "1", True), Branch("origin/other", "2", True),
                Branch("pr-copy", "1", False), Branch("done", "9", False), Branch("main", "0", False), Branch("origin/main", "0", True)]
    assert pairs_with("feat", "1", branches, "main", ["origin/main"], ["done"]) == [("main", "feat"), ("feat", "origin/other")]
    # In a CI checkout the PR is HEAD: its remote-tracking branch is at the same commit and left out.
    assert pairs_with("HEAD", "1", branches, "main", ["origin/main"], ["done"]) == [("main", "HEAD"), ("HEAD", "origin/other")]

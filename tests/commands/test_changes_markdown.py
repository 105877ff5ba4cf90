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

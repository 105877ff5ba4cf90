"""Lint that agrees with deploy: the timeout rules are satisfied by deploy's settings, and lock rules fire only where a table can be blocked."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from teamigrate.config import parse_config
from teamigrate.lint import lint_targets
from teamigrate.lint.lock_context import DeployTimeouts
from teamigrate.lint.target import target_for_file
from tests.commands.realistic_project import write_project
from tests.lint.conftest import MigrationWriter

MIXED = (
    "CREATE TABLE tags (id bigint PRIMARY KEY, user_id bigint, name text);\n"
    "ALTER TABLE tags ALTER COLUMN name SET NOT NULL;\n"  # on the new table: empty, nobody waits for it
    "ALTER TABLE tags ALTER COLUMN id TYPE numeric;\n"
    "ALTER TABLE tags ADD CONSTRAINT tags_user FOREIGN KEY (user_id) REFERENCES users (id);\n"  # locks users, scans nothing
    "ALTER TABLE users ADD COLUMN nickname text;\n"  # ACCESS EXCLUSIVE on users, but no scan
    "CREATE INDEX users_email ON users (email);\n"  # SHARE on users while it reads every row
)


def _rules(path: Path, timeouts: DeployTimeouts | None) -> set[tuple[str, int]]:
    return {(d.rule, d.line) for d in lint_targets([target_for_file(path)], timeouts=timeouts)}


def test_deploys_timeouts_satisfy_the_timeout_rules_and_turning_them_off_brings_them_back(write_migration: MigrationWriter, tmp_path: Path) -> None:
    path = write_migration(MIXED)
    config = parse_config("deploy:\n  lock_timeout: 5s\n", tmp_path / "teamigrate.yaml").deploy
    configured = _rules(path, DeployTimeouts.from_settings(config.lock_timeout, config.statement_timeout))
    assert not any(rule == "squawk:require-lock-timeout" for rule, _ in configured)
    # No statement_timeout configured: asked for where a blocking lock is held during a scan, not before.
    assert [line for rule, line in configured if rule == "squawk:require-statement-timeout"] == [6]
    assert ("squawk:require-concurrent-index-creation", 6) in configured
    assert not {rule for rule, line in configured if line in (2, 3)}

    off = parse_config("deploy:\n  lock_timeout: null\n  statement_timeout: 1min\n", tmp_path / "teamigrate.yaml").deploy
    unconfigured = _rules(path, DeployTimeouts.from_settings(off.lock_timeout, off.statement_timeout))
    # The first statement that takes a lock others queue behind: the foreign key locks users.
    assert [line for rule, line in unconfigured if rule == "squawk:require-lock-timeout"] == [4]
    assert not any(rule == "squawk:require-statement-timeout" for rule, _ in unconfigured)

    # A migration's own directive counts as configuration; squawk alone (no project) says what it always said.
    own = write_migration("-- teamigrate: lock-timeout 10s\n" + MIXED, "20261126093100_own")
    assert not any(rule == "squawk:require-lock-timeout" for rule, _ in _rules(own, DeployTimeouts()))
    raw = _rules(path, None)
    assert {("squawk:require-lock-timeout", 2), ("squawk:adding-not-nullable-field", 2), ("squawk:changing-column-type", 3)} <= raw


def test_the_realistic_projects_findings_before_and_after(tmp_path: Path) -> None:
    write_project(tmp_path)
    targets = [target_for_file(path) for path in sorted(tmp_path.glob("migrations/*/migration.sql"))]
    before = Counter(d.rule for d in lint_targets(targets))
    after = Counter(d.rule for d in lint_targets(targets, timeouts=DeployTimeouts(lock_timeout=True)))
    assert (before["squawk:require-lock-timeout"], before["squawk:require-statement-timeout"]) == (26, 26)
    # The default deploy.lock_timeout (5 s) covers every file; a statement timeout is asked for where a
    # blocking lock is held while every row is read: SET NOT NULL (3), a CHECK on a new column, a plain CREATE INDEX.
    assert (after["squawk:require-lock-timeout"], after["squawk:require-statement-timeout"]) == (0, 5)
    assert sum(before.values()) == 64 and sum(after.values()) == 17


def test_set_not_null_proven_by_a_check_validated_in_an_earlier_migration_asks_for_nothing(write_migration: MigrationWriter) -> None:
    # The online-safe steps `dev --online-safe` writes, linted together as dev lints them.
    paths = [
        write_migration("ALTER TABLE orders ADD CONSTRAINT note_nn CHECK ((note IS NOT NULL)) NOT VALID;\n", "20261126093000_a"),
        write_migration("ALTER TABLE orders VALIDATE CONSTRAINT note_nn;\n", "20261126093100_b"),
        write_migration("ALTER TABLE orders ALTER COLUMN note SET NOT NULL;\nALTER TABLE orders DROP CONSTRAINT note_nn;\n", "20261126093200_c"),
    ]
    found = {(d.path.parent.name[-1], d.rule) for d in lint_targets([target_for_file(p) for p in paths], timeouts=DeployTimeouts(lock_timeout=True))}
    assert not {("c", "squawk:adding-not-nullable-field"), ("c", "squawk:require-statement-timeout")} & found
    # Alone, the SET NOT NULL has no proof in sight: squawk's advice stands.
    alone = {d.rule for d in lint_targets([target_for_file(paths[2])], timeouts=DeployTimeouts(lock_timeout=True))}
    assert {"squawk:adding-not-nullable-field", "squawk:require-statement-timeout"} <= alone

"""`status` for people: the table in a pipe and on a narrow screen never cuts a migration id."""

from __future__ import annotations

from tests.conftest import Project, run_cli

LONG_ID = "20260622120000_add_recipient_reminder_count_to_notification_preferences_table"
SHORT_ID = "20260623120000_init_pending"


def test_status_never_cuts_an_id_at_80_columns(project: Project) -> None:
    project.write(f"migrations/{LONG_ID}/migration.sql", "CREATE TABLE reminders (id int);\n")
    project.ok("hash")
    project.ok("deploy")
    project.write(f"migrations/{SHORT_ID}/migration.sql", "CREATE TABLE other (id int);\n")
    project.ok("hash")
    # A process of its own: rich reads COLUMNS, and a pipe is 80 columns wide to it anyway.
    shown = run_cli(["status"], project.root, {"COLUMNS": "80"}, process=True)
    assert shown.returncode == 0, shown.stderr
    rows = {line.split()[0]: line for line in shown.stdout.splitlines() if line.startswith(" 2026")}
    # Whole ids, each row on one line, nothing cut short with an ellipsis: an id copies into `resolve` or `rollback` as it is.
    assert set(rows) == {LONG_ID, SHORT_ID}
    assert "applied" in rows[LONG_ID] and "UTC" in rows[LONG_ID]
    assert "pending" in rows[SHORT_ID]
    assert "…" not in shown.stdout

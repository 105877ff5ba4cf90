"""The daemon reads a checked project's changed schema files and migrations ahead of the next check: the same verdicts, sooner."""

from __future__ import annotations

import time
from pathlib import Path

from tests.conftest import Project
from tests.test_daemon import MIGRATION, SCHEMA, checked_project, daemon_home  # noqa: F401 - fixtures

INVOICE = "CREATE TABLE invoice (id bigint PRIMARY KEY);\n"


def _stored(home: str, kind: str) -> set[str]:
    return {path.name for path in (Path(home) / "schemas").glob(f"{kind}-*.pickle")}


def _wait_for(condition, seconds: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_change_is_read_ahead_of_the_check_and_judged_as_before(checked_project: Project) -> None:  # noqa: F811
    home = checked_project.env["TEAMIGRATE_HOME"]
    checked_project.ok("daemon", "start")
    assert checked_project.run("check").stdout == "check passed: 1 migration\n"
    files, histories = _stored(home, "files"), _stored(home, "history")

    # A migration written by hand and schema.sql to match: both schemas are built before any check asks.
    checked_project.write("migrations/20260102000000_invoice/migration.sql", INVOICE)
    checked_project.ok("hash")
    checked_project.write("schema.sql", SCHEMA + INVOICE)
    assert _wait_for(lambda: _stored(home, "files") - files and _stored(home, "history") - histories), "nothing was read ahead"
    assert checked_project.run("check").stdout == "check passed: 2 migrations\n"

    # Read ahead or not, a schema file that disagrees with the history is refused as before.
    files = _stored(home, "files")
    checked_project.write("schema.sql", SCHEMA + INVOICE + "CREATE TABLE refund (id bigint PRIMARY KEY);\n")
    assert _wait_for(lambda: _stored(home, "files") - files), "the schema file was not read ahead"
    refused = checked_project.run("check")
    assert refused.returncode == 1 and "error[TM524]" in refused.stderr and "refund" in refused.stderr

"""check's findings (`Finding`), and `check --format github|gitlab`: as GitHub Actions workflow commands, or as a GitLab Code Quality report."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from teamigrate import output
from teamigrate.config import Config
from teamigrate.errors import TeamigrateError
from teamigrate.git import GitRepository
from teamigrate.history.migrations import MIGRATION_FILE, SUM_FILE

SUM_CODES = frozenset({"TM207", "TM208", "TM209", "TM210"})
SCHEMA_CODES = frozenset({"TM303", "TM524"})


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    hint: str
    migration: str | None = None
    # Where it is, relative to the project folder, for annotations on a pull request's lines (None: no one file).
    path: str | None = None
    line: int | None = None

    @classmethod
    def from_error(cls, err: TeamigrateError) -> Finding:
        return cls(err.code, err.message, err.hint, getattr(err, "migration_id", None), line=getattr(err, "line", None))

    def as_json(self) -> dict[str, object]:
        found = asdict(self)
        return {key: value for key, value in found.items() if value is not None or key not in ("path", "line")}


@dataclass(frozen=True)
class Place:
    """Where a finding is shown on a pull request: a path from the top of the repository, and a 1-based line."""

    path: str
    line: int


@dataclass(frozen=True)
class Layout:
    """The project's files as the repository names them."""

    prefix: str  # the project folder inside the repository, "" at its top
    migrations: str
    schema: str | None
    config: str

    @classmethod
    def of(cls, config: Config) -> Layout:
        repository = GitRepository.find(config.root)
        top = repository.root.resolve() if repository is not None else config.root.resolve()

        def named(path: Path) -> str:
            try:
                return path.resolve().relative_to(top).as_posix()
            except ValueError:
                return path.as_posix()

        prefix = named(config.root)
        return cls("" if prefix == "." else prefix, named(config.migrations), named(config.schema) if config.schema else None, named(config.path))

    def place(self, finding: Finding) -> Place:
        """Where the finding points: its own file and line when it has one, else the file it is about."""
        line = finding.line or 1
        if finding.path is not None:
            return Place(f"{self.prefix}/{finding.path}" if self.prefix else finding.path, line)
        if finding.code in SUM_CODES or (finding.code == "TM522"):
            return Place(f"{self.migrations}/{SUM_FILE}", 1)  # a missing migration has no lines of its own
        if finding.migration is not None:
            return Place(f"{self.migrations}/{finding.migration}/{MIGRATION_FILE}", line)
        if finding.code in SCHEMA_CODES and self.schema is not None:
            return Place(self.schema, line)
        return Place(self.config, 1)


def _escape_data(text: str) -> str:
    # As @actions/core escapes a command's message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(findings: Sequence[Finding], layout: Layout) -> list[str]:
    """One `::error file=…,line=…,title=…::message` workflow command a finding; the hint is the message's second line."""
    lines = []
    for finding in findings:
        place = layout.place(finding)
        properties = {"file": place.path, "line": str(place.line), "title": f"teamigrate {finding.code}"}
        head = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
        text = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
        lines.append(f"::error {head}::{_escape_data(text)}")
    return lines


def gitlab_report(findings: Sequence[Finding], layout: Layout) -> list[dict[str, Any]]:
    """GitLab's Code Quality report: every finding blocks a merge, so each is `major`; its fingerprint is stable across runs."""
    report = []
    for finding in findings:
        place = layout.place(finding)
        # Without the line: a migration moved by a line keeps its finding's identity in GitLab's comparison.
        fingerprint = hashlib.sha256("\0".join((finding.code, place.path, _without_numbers(finding.message))).encode()).hexdigest()
        report.append({
            "description": finding.message + (f" (hint: {finding.hint})" if finding.hint else ""),
            "check_name": f"teamigrate/{finding.code}",
            "fingerprint": fingerprint,
            "severity": "major",
            "location": {"path": place.path, "lines": {"begin": place.line}},
        })
    return report


def _without_numbers(text: str) -> str:
    return re.sub(r"\bline \d+", "line", text)


def print_for_forge(config: Config, findings: Sequence[Finding], forge: str) -> None:
    layout = Layout.of(config)
    if forge == "github":
        for command in github_annotations(findings, layout):
            output.line(command)
    else:
        output.raw(json.dumps(gitlab_report(findings, layout), indent=2) + "\n")

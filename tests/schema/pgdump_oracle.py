"""The independent judge of schema equality: pg_dump --schema-only, normalised so that only meaning is compared."""

from __future__ import annotations

import difflib
import re
import subprocess
from pathlib import Path

from teamigrate.server.cluster import embedded_bin_dir

# Lines pg_dump writes between statements that say nothing about the schema.
# PG18 adds \restrict / \unrestrict with a random key on every run.
_NOISE = re.compile(r"^(--|SET |SELECT pg_catalog\.set_config\(|\\restrict |\\unrestrict )")
_CREATE_TABLE = re.compile(r"^CREATE (UNLOGGED )?TABLE ")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


def pg_dump_binary(bin_dir: Path | None = None) -> Path:
    # A newer pg_dump dumps an older server, so the embedded PG18 one serves PG15 too.
    return (bin_dir or embedded_bin_dir()) / "pg_dump"


def dump_schema(url: str, bin_dir: Path | None = None) -> str:
    result = subprocess.run(
        [str(pg_dump_binary(bin_dir)), "--schema-only", "--no-owner", "--no-privileges", "--dbname", url],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pg_dump failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def normalise(text: str) -> list[str]:
    """pg_dump output as sorted statements; column order inside CREATE TABLE ignored."""
    return sorted(_sort_table_body(statement) for statement in split_statements(text))


def split_statements(text: str) -> list[str]:
    statements: list[str] = []
    pending: list[str] = []
    scanner = _QuoteScanner()
    for line in text.splitlines():
        if not pending and (not line.strip() or _NOISE.match(line)):
            continue
        pending.append(line)  # verbatim: trailing spaces inside a body or a string are meaningful
        scanner.feed(line)
        if scanner.outside_quotes and line.rstrip().endswith(";"):
            statements.append("\n".join(pending))
            pending = []
    if pending:
        statements.append("\n".join(pending))
    return statements


def _sort_table_body(statement: str) -> str:
    """Sort the column and constraint lines of a CREATE TABLE, dropping the commas that depend on their order."""
    if not _CREATE_TABLE.match(statement):
        return statement
    lines = statement.split("\n")
    if not lines[0].endswith("("):
        return statement  # CREATE TABLE … PARTITION OF / OF type: no body
    close = next((i for i in range(1, len(lines)) if lines[i].startswith(")")), None)
    if close is None:
        return statement
    body = sorted(line.rstrip(",") for line in lines[1:close])
    return "\n".join([lines[0], *body, *lines[close:]])


class _QuoteScanner:
    """Tracks whether the text fed so far ends inside a string, a quoted name or a dollar-quoted body."""

    def __init__(self) -> None:
        self.quote: str | None = None  # "'", '"' or a dollar tag such as "$_$"

    @property
    def outside_quotes(self) -> bool:
        return self.quote is None

    def feed(self, line: str) -> None:
        i = 0
        while i < len(line):
            if self.quote is None:
                char = line[i]
                if char in ("'", '"'):
                    self.quote = char
                elif char == "$":
                    tag = _DOLLAR_TAG.match(line, i)
                    if tag is not None and not (i > 0 and (line[i - 1].isalnum() or line[i - 1] == "_")):
                        self.quote = tag.group(0)
                        i = tag.end()
                        continue
                elif char == "-" and line.startswith("--", i):
                    return  # a comment runs to the end of the line
                i += 1
            elif self.quote in ("'", '"'):
                end = line.find(self.quote, i)
                if end == -1:
                    return
                # A doubled quote is an escaped one: stay inside.
                if line.startswith(self.quote * 2, end):
                    i = end + 2
                    continue
                self.quote = None
                i = end + 1
            else:
                end = line.find(self.quote, i)
                if end == -1:
                    return
                i = end + len(self.quote)
                self.quote = None


def assert_same_schema(actual: list[str], expected: list[str], actual_name: str, expected_name: str, context: str = "") -> None:
    """Fail with a unified diff of the two normalised dumps."""
    if actual == expected:
        return
    diff = difflib.unified_diff(
        "\n".join(expected).splitlines(), "\n".join(actual).splitlines(), expected_name, actual_name, lineterm="", n=2,
    )
    message = f"pg_dump of {actual_name} differs from {expected_name}:\n" + "\n".join(diff)
    if context:
        message += f"\n--- plan ---\n{context}"
    raise AssertionError(message)

"""The proof's second, independent judge: `pg_dump --schema-only` of two databases, normalised so that only meaning is compared.

teamigrate's own proof diffs two models, so it is only as good as the model: a fact the model does not carry
(which partition index is attached to which, a partition's own keys) is equal on both sides by construction.
pg_dump knows nothing of the model. The tests use the same normaliser as their oracle (tests/schema/pgdump_oracle.py).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from teamigrate.database import mask_url
from teamigrate.errors import TeamigrateError
from teamigrate.schema.model import Schema
from teamigrate.schema.plan import Plan
from teamigrate.server.cluster import embedded_bin_dir

# Lines pg_dump writes between statements that say nothing about the schema.
# PG18 adds \restrict / \unrestrict with a random key on every run.
_NOISE = re.compile(r"^(--|SET |SELECT pg_catalog\.set_config\(|\\restrict |\\unrestrict )")
_CREATE_TABLE = re.compile(r"^CREATE (UNLOGGED )?TABLE ")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")
_SPECIAL = re.compile(r"['\"$-]")


def pg_dump_binary(bin_dir: Path | None = None) -> Path:
    # A newer pg_dump dumps an older server, so the embedded PostgreSQL 18 one serves 15 too.
    return (bin_dir or embedded_bin_dir()) / "pg_dump"


def dump_schema(url: str, bin_dir: Path | None = None, exclude_tables: Sequence[tuple[str, str]] = ()) -> str:
    """pg_dump --schema-only, without owners and privileges (teamigrate's models leave them out too)."""
    excluded = [arg for schema, table in exclude_tables for arg in ("--exclude-table", f'"{schema}"."{table}"')]
    result = subprocess.run(
        [str(pg_dump_binary(bin_dir)), "--schema-only", "--no-owner", "--no-privileges", *excluded, "--dbname", url],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise TeamigrateError("TM305", f"pg_dump of {mask_url(url)} failed: {mask_url(result.stderr.strip())}", "check that the database is reachable")
    return result.stdout


def normalise(text: str) -> list[str]:
    """pg_dump output as sorted statements; column order inside CREATE TABLE ignored."""
    return sorted(_sort_table_body(statement) for statement in split_statements(text))


def dumps_differ(a_url: str, b_url: str, exclude_tables: Sequence[tuple[str, str]] = ()) -> tuple[list[str], list[str]]:
    """The normalised statements only `a_url`'s dump has, and those only `b_url`'s has (both empty: the same schema)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.map(lambda url: set(normalise(dump_schema(url, exclude_tables=exclude_tables))), (a_url, b_url))
    return sorted(a - b), sorted(b - a)


def partitioning_in(schema: Schema) -> frozenset[str]:
    """The tables (as plans name them) that are partitioned, partitions, or in an inheritance tree: where the model is
    known to miss facts pg_dump shows (attached partition indexes, a partition's own keys and NOT NULLs)."""
    names = set()
    for table in schema.tables.values():
        if table.partition_key or table.partition_of or table.inherits:
            names.add(table.display)
            names.update(schema.tables[("table", *parent)].display for parent in (*table.inherits, *([table.partition_of] if table.partition_of else [])) if ("table", *parent) in schema.tables)
    return frozenset(names)


def needs_dump_check(plan: Plan, source: Schema, target: Schema) -> bool:
    """Whether the proof compares pg_dump as well: the plan touches a partitioned (or inherited) table, or it is empty
    while one side has one (an empty plan over partitions could be a silent mismatch)."""
    touched = partitioning_in(source) | partitioning_in(target)
    if not touched:
        return False
    if plan.is_empty:
        return True
    return any(change.table in touched or change.name in touched for change in plan.changes)


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
                special = _SPECIAL.search(line, i)  # jump over plain text: most lines of a dump hold no quote at all
                if special is None:
                    return
                i = special.start()
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

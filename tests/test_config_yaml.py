"""config.plain_yaml: teamigrate.yaml read without PyYAML, always exactly as yaml.safe_load reads it, else not at all."""

from __future__ import annotations

import random
from typing import Any

import pytest
import yaml

from teamigrate.commands.init import CONFIG_TEMPLATE
from teamigrate.config import plain_yaml


def typed(value: Any) -> Any:
    """`value` with every scalar's type beside it: True and 1 (or 1 and 1.0) compare equal in Python, not here."""
    if isinstance(value, dict):
        return {typed(key): typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


@pytest.mark.parametrize("schema_line", ["schema: schema.sql", "# schema: schema.sql"])
def test_the_file_init_writes_is_read_without_pyyaml_and_as_pyyaml_reads_it(schema_line: str) -> None:
    text = CONFIG_TEMPLATE.format(schema_line=schema_line)
    assert plain_yaml(text) is not None
    assert typed(plain_yaml(text)) == typed(yaml.safe_load(text))


@pytest.mark.parametrize("text", [
    "retries: 0x1F\n",  # an int to PyYAML
    "retries: 0xF\n",
    "keep: 1_000\n",
    "keep: 010\n",  # octal
    "when: 2026-01-01\n",  # a date
    "ratio: 1.5\n",
    "ratio: .inf\n",
    "yes: 1\n",  # the key is True
    "null: 1\n",
    "a: b: c\n",  # PyYAML's error, with its line and column
    "a:\tb\n",
    "a: \"x\\ty\"\n",  # an escape
    "a: 'it''s'\n",
    "a: b\n  c\n",  # a scalar over two lines
    "lint:\n  disable:\n    - a\n",  # a sequence
    "lint: {disable: [a]}\n",
    "a: &x 1\nb: *x\n",
    "---\na: 1\n",
    "  a: 1\nb: 2\n",  # PyYAML's error
    "a:\n    b: 1\n  c: 2\n",  # PyYAML's error
    "# only a comment\n",
    "",
])
def test_what_plain_yaml_does_not_read_is_left_to_pyyaml(text: str) -> None:
    assert plain_yaml(text) is None


KEYS = ["database_url", "schema", "lint", "deploy", "a.b", "x-y", "_k", "on", "y", "n", "No", "key"]
VALUES = [
    "", " ", "~", "null", "Null", "NULL", "true", "False", "TRUE", "yes", "NO", "Off", "On", "ON", "y", "n", "0", "-0", "+5", "42", "007", "1_0", "0x1F", "0xF", "0xAbc", "0o7",
    "5s", "2GB", "10min", "1.5h", "0b", "0b1", "1.5", "1e5", "1.0e+5", ".5", ".nan", "1:20", "2026-01-01", "2026-01-01 10:00:00",
    "main", "public.history", "${DATABASE_URL:-}", "${A}x", "postgresql://u:p@h:5432/db?sslmode=require", "a#b", "a # c", "a, b",
    "a: b", "a:", "-", "-x", "- x", "?", "[]", "{}", "[a]", "{a: 1}", "&a", "*a", "!tag x", "|", ">", "%x", "@x", "`x", "=", "<<",
    "'single'", "''", "'a''b'", "'open", '"double"', '""', '"a\\nb"', '"open', "'x' # c", "'x'y", '"x" #c', "'x'#c", "a\\b", "é",
]


def _document(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 6)):
        key, value = rng.choice(KEYS), rng.choice(VALUES)
        shape = rng.random()
        if shape < 0.2:
            lines.append(f"{key}:")
            for _ in range(rng.randint(0, 3)):
                lines.append(f"{' ' * rng.choice([2, 2, 2, 4, 1])}{rng.choice(KEYS)}: {rng.choice(VALUES)}".rstrip())
        elif shape < 0.3:
            lines.append(rng.choice(["# a comment", "", "   ", "  # indented comment"]))
        else:
            lines.append(f"{' ' * rng.choice([0, 0, 0, 0, 2])}{key}:{rng.choice([' ', ' ', '  ', ''])}{value}")
    return "\n".join(lines) + rng.choice(["\n", ""])


def test_whatever_plain_yaml_reads_pyyaml_reads_the_same() -> None:
    rng = random.Random(20261204)
    read = 0
    for _ in range(15000):
        text = _document(rng)
        mine = plain_yaml(text)
        if mine is None:
            continue
        read += 1
        assert typed(mine) == typed(yaml.safe_load(text)), text
    assert read > 1000  # the comparison covers much of what it reads

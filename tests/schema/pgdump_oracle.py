"""The independent judge of schema equality: pg_dump --schema-only, normalised so that only meaning is compared.

The normaliser lives in the package (teamigrate/workspace/dump_check.py), where the proof uses it as its second check;
it never asks teamigrate's differ or model anything.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from teamigrate.errors import TeamigrateError
from teamigrate.workspace.dump_check import dump_schema as package_dump_schema
from teamigrate.workspace.dump_check import normalise, pg_dump_binary, split_statements

__all__ = ["assert_same_schema", "dump_schema", "normalise", "pg_dump_binary", "split_statements"]


def dump_schema(url: str, bin_dir: Path | None = None) -> str:
    try:
        return package_dump_schema(url, bin_dir)
    except TeamigrateError as failed:
        raise RuntimeError(failed.message) from None


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

"""Rewrite README.md's table of diagnostic codes from teamigrate.errors.CODES (run after adding a code)."""

from __future__ import annotations

import re
from pathlib import Path

from teamigrate.errors import CODES

README = Path(__file__).resolve().parent.parent / "README.md"
AREAS = {"1": "config, server, connections", "2": "migrations, teamigrate.sum, history", "3": "schema engine and `diff`",
         "4": "developer workflow", "5": "team workflow and git", "6": "lint"}


def table() -> str:
    lines = ["| code | area | what it means (and what to do) |", "|---|---|---|"]
    for code, text in sorted(CODES.items()):
        escaped = text.replace("|", "\\|")
        lines.append(f"| `{code}` | {AREAS.get(code[2], '')} | {escaped} |")
    return "\n".join(lines)


def main() -> None:
    text = README.read_text()
    updated = re.sub(r"(<!-- codes:start -->\n).*?(<!-- codes:end -->)", lambda m: m.group(1) + table() + "\n" + m.group(2), text, flags=re.S)
    README.write_text(updated)


if __name__ == "__main__":
    main()

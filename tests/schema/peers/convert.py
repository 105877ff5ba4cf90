"""Regenerate the peers' fixture pairs from snapshots of djrobstep/migra and stripe/pg-schema-diff.

    python tests/schema/peers/convert.py MIGRA_CHECKOUT PG_SCHEMA_DIFF_CHECKOUT

Each argument is a work tree or a bare git directory (read at HEAD). Every case becomes
tests/schema/peers/<suite>/<case>/{a.sql,b.sql}; see README.md for what is changed on the way.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
MIGRA_FIXTURES = "tests/FIXTURES"
PSD_CASES = "internal/migration_acceptance_tests"
# Roles a case needs exist before its files load; roles are global to a cluster, so creating one is idempotent.
ROLE_PRELUDE = (
    "DO $teamigrate$ BEGIN CREATE ROLE {role}; "
    "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $teamigrate$;\n"
)
MIGRA_ROLES = ("schemainspect_test_role",)


class Snapshot:
    """Files of a repository, from a work tree or a git directory at HEAD."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.is_git = not (root / ".git").exists() and (root / "HEAD").is_file()

    def commit(self) -> str:
        git_dir = ["--git-dir", str(self.root)] if self.is_git else ["-C", str(self.root)]
        return subprocess.run(["git", *git_dir, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()

    def list(self, folder: str) -> list[str]:
        if not self.is_git:
            return sorted(str(p.relative_to(self.root)) for p in (self.root / folder).rglob("*") if p.is_file())
        out = subprocess.run(
            ["git", "--git-dir", str(self.root), "ls-tree", "-r", "--name-only", "HEAD", folder],
            capture_output=True, text=True, check=True,
        ).stdout
        return sorted(out.split())

    def read(self, path: str) -> str:
        if not self.is_git:
            return (self.root / path).read_text()
        return subprocess.run(
            ["git", "--git-dir", str(self.root), "show", f"HEAD:{path}"], capture_output=True, text=True, check=True,
        ).stdout


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:80] or "case"


def roles_prelude(roles: list[str]) -> str:
    return "".join(ROLE_PRELUDE.format(role=role) for role in roles)


def convert_migra(snapshot: Snapshot, out: Path) -> int:
    cases = sorted({path.split("/")[2] for path in snapshot.list(MIGRA_FIXTURES)})
    for case in cases:
        target = out / case
        target.mkdir(parents=True)
        for side in ("a", "b"):
            sql = snapshot.read(f"{MIGRA_FIXTURES}/{case}/{side}.sql")
            roles = [role for role in MIGRA_ROLES if role in sql]
            (target / f"{side}.sql").write_text(roles_prelude(roles) + sql)
    return len(cases)


# --- Go: just enough of a tokenizer for the acceptance cases' composite literals.

_TOKEN = re.compile(
    r"""(?P<space>\s+)|(?P<line>//[^\n]*)|(?P<block>/\*.*?\*/)|(?P<raw>`[^`]*`)|(?P<str>"(?:\\.|[^"\\\n])*")"""
    r"""|(?P<rune>'(?:\\.|[^'\\])+')|(?P<word>[A-Za-z_][A-Za-z0-9_.]*)|(?P<num>[0-9][0-9A-Za-z_.]*)|(?P<punct>.)""",
    re.DOTALL,
)


def go_tokens(source: str) -> list[tuple[str, str]]:
    tokens = []
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup or ""
        if kind in ("space", "line", "block"):
            continue
        text = match.group()
        if kind == "raw":
            tokens.append(("str", text[1:-1].replace("\r", "")))
        elif kind == "str":
            tokens.append(("str", text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")))
        else:
            tokens.append((kind, text))
    return tokens


def _closing(tokens: list[tuple[str, str]], start: int) -> int:
    """Index of the brace that closes the one at start."""
    depth = 0
    for index in range(start, len(tokens)):
        kind, text = tokens[index]
        if kind == "punct" and text in "{(":
            depth += 1
        elif kind == "punct" and text in "})":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError("unbalanced braces")


def _fields(tokens: list[tuple[str, str]], start: int, end: int) -> dict[str, list[tuple[str, str]]]:
    """The top-level `key: value` fields of the composite literal between start and end."""
    fields: dict[str, list[tuple[str, str]]] = {}
    index = start + 1
    while index < end:
        if tokens[index][0] == "word" and tokens[index + 1] == ("punct", ":"):
            key = tokens[index][1]
            value_start = index = index + 2
            while index < end and tokens[index] != ("punct", ","):
                if tokens[index][0] == "punct" and tokens[index][1] in "{(":
                    index = _closing(tokens, index)
                index += 1
            fields[key] = tokens[value_start:index]
        index += 1
    return fields


def _strings(value: list[tuple[str, str]]) -> list[str]:
    return [text for kind, text in value if kind == "str"]


def psd_cases(source: str) -> list[dict[str, list[str]]]:
    tokens = go_tokens(source)
    cases = []
    for index, token in enumerate(tokens):
        if token == ("word", "acceptanceTestCase") and tokens[index + 1] == ("punct", "{") and tokens[index - 1] == ("punct", "]"):
            end = _closing(tokens, index + 1)
            element = index + 2
            while element < end:
                if tokens[element] == ("punct", "{"):
                    close = _closing(tokens, element)
                    fields = _fields(tokens, element, close)
                    cases.append({key: _strings(value) for key, value in fields.items()})
                    element = close
                element += 1
    return cases


def ddl_file(statements: list[str], roles: list[str]) -> str:
    parts = [roles_prelude(roles)] if roles else []
    for statement in statements:
        text = statement.strip("\n").rstrip()
        parts.append(text if text.endswith(";") else text + "\n;")
    return "\n".join(parts) + "\n"


def convert_pg_schema_diff(snapshot: Snapshot, out: Path) -> int:
    count = 0
    for path in snapshot.list(PSD_CASES):
        if not path.endswith("_cases_test.go"):
            continue
        family = Path(path).name.removesuffix("_cases_test.go")
        seen: set[str] = set()
        for case in psd_cases(snapshot.read(path)):
            base = f"{family}__{slug(case['name'][0])}"
            name, number = base, 2
            while name in seen:
                name, number = f"{base}_{number}", number + 1
            seen.add(name)
            target = out / name
            target.mkdir(parents=True)
            roles = case.get("roles", [])
            (target / "a.sql").write_text(ddl_file(case.get("oldSchemaDDL", []), roles))
            (target / "b.sql").write_text(ddl_file(case.get("newSchemaDDL", []), roles))
            count += 1
    return count


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    migra, psd = Snapshot(Path(argv[1])), Snapshot(Path(argv[2]))
    for suite, snapshot, convert in (("migra", migra, convert_migra), ("pg-schema-diff", psd, convert_pg_schema_diff)):
        out = HERE / suite
        shutil.rmtree(out, ignore_errors=True)
        count = convert(snapshot, out)
        print(f"{suite}: {count} cases from commit {snapshot.commit()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

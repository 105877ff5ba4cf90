"""Which findings count and how loud: lint.disable, lint.levels and `-- teamigrate: allow <rule>` comments."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from teamigrate.config import LintConfig
from teamigrate.errors import TeamigrateError
from teamigrate.lint.diagnostics import Diagnostic, Level
from teamigrate.lint.rules import PREFIX as TEAMIGRATE_PREFIX
from teamigrate.lint.rules import RULE_NAMES

SQUAWK_PREFIX = "squawk:"
# squawk refuses to exclude this one itself, so teamigrate filters it.
_SQUAWK_UNEXCLUDABLE = frozenset({"syntax-error"})
_ALLOW = re.compile(r"^\s*--\s*teamigrate:\s*allow\s+(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def rule_code(name: str) -> str:
    """The full code of a rule named with or without its `squawk:` / `teamigrate:` prefix."""
    name = name.strip()
    if name.startswith((SQUAWK_PREFIX, TEAMIGRATE_PREFIX)):
        return name
    return TEAMIGRATE_PREFIX + name if name in RULE_NAMES else SQUAWK_PREFIX + name


def allowed_rules(sql: str) -> frozenset[str]:
    """Rules a migration allows with `-- teamigrate: allow rule[, rule…]`; the comment applies to the whole file."""
    codes: set[str] = set()
    for match in _ALLOW.finditer(sql):
        codes.update(rule_code(name) for name in re.split(r"[\s,]+", match.group(1)) if name)
    return frozenset(codes)


@dataclass(frozen=True)
class RulePolicy:
    disabled: frozenset[str] = frozenset()
    levels: Mapping[str, Level] = field(default_factory=dict)

    @classmethod
    def from_config(cls, lint: LintConfig) -> RulePolicy:
        disabled = {rule_code(name) for name in lint.disable}
        levels: dict[str, Level] = {}
        for name, level in lint.levels.items():
            code = rule_code(name)
            if level == "off":
                disabled.add(code)
            elif level in ("error", "warning", "info"):
                levels[code] = level  # type: ignore[assignment]  # config.py validated the value
        for code in (*disabled, *levels):
            if code.startswith(TEAMIGRATE_PREFIX) and code.removeprefix(TEAMIGRATE_PREFIX) not in RULE_NAMES:
                raise TeamigrateError(
                    "TM606",
                    f"lint settings name `{code}`, which is not a teamigrate rule",
                    f"teamigrate's rules: {', '.join(sorted(RULE_NAMES))}",
                )
        return cls(frozenset(disabled), levels)

    def squawk_exclude(self) -> list[str]:
        return sorted(n for n in self._squawk_names(self.disabled) if n not in _SQUAWK_UNEXCLUDABLE)

    def squawk_include(self) -> list[str]:
        # Naming a squawk rule in lint.levels turns on its opt-in rules, and lets squawk reject typos.
        return sorted(n for n in self._squawk_names(self.levels) if n not in _SQUAWK_UNEXCLUDABLE)

    def apply(self, diagnostics: Iterable[Diagnostic], allowed: frozenset[str] = frozenset()) -> list[Diagnostic]:
        kept: list[Diagnostic] = []
        for diagnostic in diagnostics:
            if diagnostic.rule in self.disabled or diagnostic.rule in allowed:
                continue
            level = self.levels.get(diagnostic.rule)
            kept.append(dataclasses.replace(diagnostic, level=level) if level else diagnostic)
        return kept

    @staticmethod
    def _squawk_names(codes: Iterable[str]) -> list[str]:
        return [code.removeprefix(SQUAWK_PREFIX) for code in codes if code.startswith(SQUAWK_PREFIX)]

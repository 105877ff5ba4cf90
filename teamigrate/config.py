"""teamigrate.yaml: find it, expand ${VAR} references, validate every key."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from teamigrate.errors import ConfigError

CONFIG_NAME = "teamigrate.yaml"
ENV_CONFIG = "TEAMIGRATE_CONFIG"

LINT_LEVELS = ("error", "warning", "info", "off")

# key -> default; the order is the order `init` writes them in.
DEFAULTS: dict[str, Any] = {
    "database_url": "",
    "shadow_database_url": "",
    "shadow_pg_bin": None,
    "pg_bin": None,
    "schema": None,
    "migrations": "migrations",
    "main_branch": "main",
    "seed": None,
    "history_table": "public.teamigrate_history",
    "auto_sync": False,
    "online_safe": False,
    "lint": {"disable": [], "levels": {}},
    "deploy": {"lock_timeout": "5s", "retries": 5, "statement_timeout": None},
    "snapshots": {"keep": 5, "max_size": "2GB"},
}
LINT_KEYS = ("disable", "levels")
DEPLOY_KEYS = ("lock_timeout", "retries", "statement_timeout")
SNAPSHOT_KEYS = ("keep", "max_size")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|kB|KB|MB|GB|TB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*$", re.IGNORECASE)
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_IDENT = r"[A-Za-z_][A-Za-z0-9_$]*"
_HISTORY_TABLE = re.compile(rf"^(?:({_IDENT})\.)?({_IDENT})$")
_MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1


@dataclass(frozen=True)
class LintConfig:
    disable: tuple[str, ...] = ()
    levels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeployConfig:
    """How migrations wait for locks when applied to a database (deploy, dev, reset)."""

    lock_timeout: float | None = 5.0  # seconds; None: wait as long as it takes
    retries: int = 5  # tries after the first, when a lock timeout stopped it
    statement_timeout: float | None = None


@dataclass(frozen=True)
class SnapshotConfig:
    """Per-branch snapshots of the development database that `sync` keeps (least recently used dropped first)."""

    keep: int = 5  # at most this many per project; 0: no snapshots
    max_size: int | None = 2 * 1024**3  # bytes, all of them together; None: no limit


@dataclass(frozen=True)
class Config:
    path: Path
    database_url: str = ""
    shadow_database_url: str = ""
    shadow_pg_bin: Path | None = None
    # A PostgreSQL bin/ folder for the servers teamigrate runs itself: the shadow (unless
    # shadow_database_url or shadow_pg_bin says otherwise) and, with database_url empty,
    # the development database; e.g. a system PostgreSQL whose extensions the embedded build lacks.
    pg_bin: Path | None = None
    schema: Path | None = None
    migrations: Path = Path("migrations")
    main_branch: str = "main"
    seed: str | None = None
    history_table: str = "public.teamigrate_history"
    auto_sync: bool = False
    # new/dev write indexes CONCURRENTLY and constraints NOT VALID + VALIDATE, as migrations of their own (schema/online.py)
    online_safe: bool = False
    lint: LintConfig = field(default_factory=LintConfig)
    deploy: DeployConfig = field(default_factory=DeployConfig)
    snapshots: SnapshotConfig = field(default_factory=SnapshotConfig)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def history_schema(self) -> str:
        return self.history_table.split(".", 1)[0] if "." in self.history_table else "public"

    @property
    def history_name(self) -> str:
        return self.history_table.rsplit(".", 1)[-1]

    @property
    def seed_path(self) -> Path | None:
        """The seed as a file, when it names an existing .sql file; None for a shell command."""
        if self.seed and self.seed.strip().endswith(".sql") and " " not in self.seed.strip():
            return self.root / self.seed.strip()
        return None


def find_config(start: Path | None = None, explicit: Path | str | None = None) -> Path:
    if explicit is None:
        explicit = os.environ.get(ENV_CONFIG) or None
    if explicit is not None:
        path = Path(explicit).expanduser()
        if path.is_dir():
            path = path / CONFIG_NAME
        if not path.is_file():
            raise ConfigError("TM101", f"config file {path} does not exist", "check --config or TEAMIGRATE_CONFIG")
        return path.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        "TM101",
        f"no {CONFIG_NAME} in {here} or any folder above it",
        "run `teamigrate init` in the project's root, or pass --config PATH",
    )


def load_config(start: Path | None = None, explicit: Path | str | None = None) -> Config:
    path = find_config(start, explicit)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("TM102", f"cannot read {path}: {exc}", "make it a UTF-8 text file") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    data = plain_yaml(text)
    if data is None:
        data = _full_yaml(text, path)
    return _config(data, path)



# plain_yaml: the YAML that teamigrate.yaml files are written in, read without PyYAML.
_YAML_ENTRY = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*):(?: +(.*))?")
_YAML_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_YAML_BOOLS = {word: value for value, words in ((True, "yes Yes YES true True TRUE on On ON"), (False, "no No NO false False FALSE off Off OFF"))
               for word in words.split()}
_YAML_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
# 5s, 2GB: strings to PyYAML (none of its floats, ints or dates looks so; 0x1F would, but x is no unit).
_YAML_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:ms|s|min|h|b|kb|mb|gb|tb)", re.IGNORECASE)
# A plain scalar that starts with one of these is something else to YAML (or a number or date, which PyYAML resolves by its first character).
_YAML_SPECIAL_START = frozenset("-?:,[]{}#&*!|>'\"%@`0123456789+.<=")


def plain_yaml(text: str) -> dict[str, Any] | None:
    """`text` as yaml.safe_load reads it, for the YAML teamigrate.yaml is written in; None for anything else.

    That is block mappings of plain keys (nested by indentation), comments, and values that are a plain
    word, path, URL or ${VAR} reference, a decimal integer, true/false and the other YAML 1.1 booleans,
    null, [] or {}, or a quoted string without escapes. Anything else (sequences, flow collections with
    items, anchors, escapes, multi-line scalars, numbers PyYAML reads as floats or dates, tabs) is left to
    PyYAML, and so is every syntax error: the reading is either PyYAML's own or not attempted. Importing
    PyYAML is 9 ms of the 70 ms a `deploy` with nothing to do takes.
    """
    if "\t" in text or "\r" in text or text.startswith("\ufeff"):
        return None
    root: dict[str, Any] = {}
    levels: list[tuple[int, dict[str, Any]]] = []  # (indentation, mapping) from the outermost
    opened: tuple[dict[str, Any], str] | None = None  # a key with nothing after it: a mapping below it, or null
    for line in text.split("\n"):
        content = line.lstrip(" ")
        if not content or content.startswith("#"):
            continue
        indent = len(line) - len(content)
        entry = _YAML_ENTRY.fullmatch(content.rstrip(" "))
        if entry is None or entry.group(1) in _YAML_BOOLS or entry.group(1) in _YAML_NULLS:
            return None
        if not levels:
            levels.append((indent, root))
        elif opened is not None and indent > levels[-1][0]:
            child: dict[str, Any] = {}
            opened[0][opened[1]] = child
            levels.append((indent, child))
        while indent < levels[-1][0]:
            levels.pop()
            if not levels:
                return None
        if indent != levels[-1][0]:
            return None
        opened = None
        key, value = entry.group(1), _plain_scalar(entry.group(2) or "")
        if value is _NOT_PLAIN:
            return None
        levels[-1][1][key] = value
        if value is None and not (entry.group(2) or "").strip():
            opened = (levels[-1][1], key)
    return root if levels else None


_NOT_PLAIN = object()


def _plain_scalar(text: str) -> Any:
    """A value as PyYAML reads it, or _NOT_PLAIN."""
    if text[:1] in ("'", '"'):
        end = text.find(text[0], 1)
        after = text[end + 1 :] if end > 0 else "'"
        if after.strip(" ") and not (after.startswith(" ") and after.lstrip(" ").startswith("#")):
            return _NOT_PLAIN  # an unclosed or doubled quote, or more after it
        inner = text[1:end]
        return _NOT_PLAIN if text[0] == '"' and "\\" in inner else inner
    comment = text.find(" #")
    value = (text[:comment] if comment >= 0 else text).strip(" ")
    if value in _YAML_NULLS:
        return None
    if value in _YAML_BOOLS:
        return _YAML_BOOLS[value]
    if value in ("[]", "{}"):
        return [] if value == "[]" else {}
    if _YAML_INT.fullmatch(value):
        return int(value)
    if value[0] in _YAML_SPECIAL_START and not _YAML_AMOUNT.fullmatch(value):
        return _NOT_PLAIN
    if ": " in value or value.endswith(":"):
        return _NOT_PLAIN
    return value

def _full_yaml(text: str, path: Path) -> Any:
    import yaml  # 9 ms: only for what plain_yaml leaves to it

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError("TM102", f"{path.name}{where}: {problem}", "fix the YAML syntax there") from None


def _config(data: Any, path: Path) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("TM102", f"{path.name} must be a mapping of keys to values", "see `teamigrate init` for an example")

    _reject_unknown(data, DEFAULTS, path.name)
    lint_raw = data.get("lint") or {}
    if not isinstance(lint_raw, dict):
        raise ConfigError("TM105", "`lint` must be a mapping with `disable` and `levels`", "e.g. lint: {disable: [], levels: {}}")
    _reject_unknown(lint_raw, dict.fromkeys(LINT_KEYS), f"{path.name} lint")

    deploy_raw = data.get("deploy") or {}
    if not isinstance(deploy_raw, dict):
        raise ConfigError("TM105", "`deploy` must be a mapping with `lock_timeout`, `retries` and `statement_timeout`", "e.g. deploy: {lock_timeout: 5s, retries: 5}")
    _reject_unknown(deploy_raw, dict.fromkeys(DEPLOY_KEYS), f"{path.name} deploy")

    snapshots_raw = data.get("snapshots") or {}
    if not isinstance(snapshots_raw, dict):
        raise ConfigError("TM105", "`snapshots` must be a mapping with `keep` and `max_size`", "e.g. snapshots: {keep: 5, max_size: 2GB}")
    _reject_unknown(snapshots_raw, dict.fromkeys(SNAPSHOT_KEYS), f"{path.name} snapshots")

    values = {key: _expand(data[key], key) if key in data else default for key, default in DEFAULTS.items() if key not in ("lint", "deploy", "snapshots")}
    root = path.parent

    def text_value(key: str) -> str:
        value = values[key]
        if value is None:
            return ""
        if not isinstance(value, (str, int)):
            raise ConfigError("TM105", f"`{key}` must be a string", f"write {key}: \"...\"")
        return str(value)

    def optional_path(key: str) -> Path | None:
        value = text_value(key)
        return (root / value) if value else None

    history_table = _history_table(text_value("history_table") or DEFAULTS["history_table"])
    auto_sync = _flag(values, "auto_sync")
    online_safe = _flag(values, "online_safe")

    disable = _expand(lint_raw.get("disable") or [], "lint.disable")
    levels = _expand(lint_raw.get("levels") or {}, "lint.levels")
    if not isinstance(disable, list) or not all(isinstance(rule, str) for rule in disable):
        raise ConfigError("TM105", "`lint.disable` must be a list of rule codes", "e.g. disable: [prefer-robust-stmts]")
    if not isinstance(levels, dict) or not all(isinstance(v, str) and v in LINT_LEVELS for v in levels.values()):
        raise ConfigError("TM105", "`lint.levels` must map rule codes to error, warning, info or off", "e.g. levels: {ban-drop-column: error}")

    return Config(
        path=path,
        database_url=text_value("database_url"),
        shadow_database_url=text_value("shadow_database_url"),
        shadow_pg_bin=optional_path("shadow_pg_bin"),
        pg_bin=optional_path("pg_bin"),
        schema=optional_path("schema"),
        migrations=root / (text_value("migrations") or "migrations"),
        main_branch=text_value("main_branch") or "main",
        seed=text_value("seed") or None,
        history_table=history_table,
        auto_sync=auto_sync,
        online_safe=online_safe,
        lint=LintConfig(disable=tuple(disable), levels=dict(levels)),
        deploy=_deploy_config(deploy_raw),
        snapshots=_snapshot_config(snapshots_raw),
    )


def _flag(values: dict[str, Any], key: str) -> bool:
    value = values[key]
    if isinstance(value, str) and value.lower() in ("true", "false", ""):
        value = value.lower() == "true"
    if not isinstance(value, bool):
        raise ConfigError("TM105", f"`{key}` must be true or false", f"write {key}: true")
    return value


def parse_duration(value: Any) -> float:
    """Seconds from `500ms`, `5s`, `10min`, `1h` or a bare number of seconds; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(str(value))
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(str(value))
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(str(value))
    return float(match.group(1)) * _DURATION_UNITS[(match.group(2) or "s").lower()]


def _deploy_config(raw: dict[Any, Any]) -> DeployConfig:
    defaults = DeployConfig()

    def timeout(key: str, default: float | None) -> float | None:
        if key not in raw:
            return default
        value = _expand(raw[key], f"deploy.{key}")
        if value is None or value == "" or (isinstance(value, str) and value.lower() in ("null", "none", "off")):
            return None  # no timeout: wait as PostgreSQL does by default
        try:
            seconds = parse_duration(value)
        except ValueError:
            raise ConfigError("TM105", f"`deploy.{key}` must be a duration, not `{value}`", f"e.g. {key}: 5s (units ms, s, min, h), or null for none") from None
        return seconds or None  # 0 means no timeout, as in PostgreSQL

    retries = _expand(raw.get("retries", defaults.retries), "deploy.retries")
    if isinstance(retries, str) and retries.strip().isdigit():
        retries = int(retries)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ConfigError("TM105", "`deploy.retries` must be a whole number of tries after the first (0 or more)", "e.g. retries: 5")
    return DeployConfig(
        lock_timeout=timeout("lock_timeout", defaults.lock_timeout),
        retries=retries,
        statement_timeout=timeout("statement_timeout", defaults.statement_timeout),
    )


def _snapshot_config(raw: dict[Any, Any]) -> SnapshotConfig:
    defaults = SnapshotConfig()
    keep = _expand(raw.get("keep", defaults.keep), "snapshots.keep")
    if isinstance(keep, str) and keep.strip().isdigit():
        keep = int(keep)
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
        raise ConfigError("TM105", "`snapshots.keep` must be a whole number of snapshots (0: none)", "e.g. keep: 5")
    if "max_size" not in raw:
        return SnapshotConfig(keep=keep, max_size=defaults.max_size)
    value = _expand(raw["max_size"], "snapshots.max_size")
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "null", "none")):
        return SnapshotConfig(keep=keep, max_size=None)
    match = _SIZE.match(str(value)) if not isinstance(value, bool) else None
    if match is None:
        raise ConfigError("TM105", f"`snapshots.max_size` must be a size, not `{value}`", "e.g. max_size: 2GB (units B, kB, MB, GB, TB), or null for no limit")
    return SnapshotConfig(keep=keep, max_size=int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()]))


def _history_table(name: str) -> str:
    match = _HISTORY_TABLE.match(name)
    if not match:
        raise ConfigError("TM105", f"history_table `{name}` is not schema.table", "e.g. history_table: public.teamigrate_history")
    schema = match.group(1) or "public"
    if _is_system_schema(schema):
        # PostgreSQL's own tables: status would read a catalog as history, deploy would try to write one.
        raise ConfigError(
            "TM105",
            f"history_table `{name}` is in `{schema}`, a PostgreSQL system schema",
            "name a table in one of your own schemas, e.g. history_table: public.teamigrate_history",
        )
    for part in (schema, match.group(2)):
        if len(part.encode("utf-8")) > _MAX_IDENTIFIER:
            # PostgreSQL would cut it to 63 bytes on CREATE, and the history would then never be found by its name.
            raise ConfigError("TM105", f"history_table `{name}`: `{part}` is longer than PostgreSQL's {_MAX_IDENTIFIER} bytes", "use a shorter name")
    return name


def _is_system_schema(schema: str) -> bool:
    # pg_catalog, pg_toast, pg_temp_N, pg_toast_temp_N and every other `pg_` name are PostgreSQL's
    # (it refuses CREATE SCHEMA pg_…); compared case-insensitively, as nobody means "PG_x" to differ.
    lowered = schema.lower()
    return lowered.startswith("pg_") or lowered == "information_schema"


def _reject_unknown(data: dict[Any, Any], known: dict[str, Any], where: str) -> None:
    for key in data:
        if key not in known:
            import difflib

            close = difflib.get_close_matches(str(key), list(known), n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"valid keys: {', '.join(known)}"
            raise ConfigError("TM103", f"unknown key `{key}` in {where}", hint)


def _expand(value: Any, key: str) -> Any:
    if isinstance(value, str):
        return _expand_text(value, key)
    if isinstance(value, list):
        return [_expand(item, key) for item in value]
    if isinstance(value, dict):
        return {k: _expand(v, key) for k, v in value.items()}
    return value


def _expand_text(text: str, key: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = os.environ.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise ConfigError(
                    "TM104",
                    f"`{key}` uses ${{{name}}}, which is not set",
                    f"export {name}=..., or write ${{{name}:-default}} in teamigrate.yaml",
                )
            return default
        return value

    return _VAR.sub(replace, text)

"""The table locks each kind of migration statement takes, and whether it rewrites or scans the table: for `deploy --dry-run`.

From PostgreSQL's documentation of each command (the "Explicit Locking" chapter and
the notes of ALTER TABLE, CREATE INDEX, …): a table of statement kinds, read from
the statements as lint parses them (lint/statements.py), no database needed.
Several ALTER TABLE actions in one statement take the strongest of their locks.

Public API: `LEVELS` (weakest first), `BLOCKS` (what each level holds up),
`TableLock`, `StatementEffect`, `migration_effects(sql, proven_not_null)`:
one StatementEffect per statement; `proven_not_null` is a set of (table, column)
with a validated `CHECK (column IS NOT NULL)`, which the statements extend as they add one;
`LockWalk(proven_not_null).migration(sql)` for several migrations in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from teamigrate.lint.statements import Statement, Word, parse_statements

ACCESS_SHARE, ROW_SHARE, ROW_EXCLUSIVE = "ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE"
SHARE_UPDATE_EXCLUSIVE, SHARE, SHARE_ROW_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE"
EXCLUSIVE, ACCESS_EXCLUSIVE = "EXCLUSIVE", "ACCESS EXCLUSIVE"
LEVELS = (ACCESS_SHARE, ROW_SHARE, ROW_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE, SHARE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE, ACCESS_EXCLUSIVE)
BLOCKS = {
    ACCESS_SHARE: "blocks only ACCESS EXCLUSIVE",
    ROW_SHARE: "blocks only EXCLUSIVE and ACCESS EXCLUSIVE",
    ROW_EXCLUSIVE: "reads and writes go on",
    SHARE_UPDATE_EXCLUSIVE: "reads and writes go on; other schema changes and VACUUM wait",
    SHARE: "blocks writes; reads go on",
    SHARE_ROW_EXCLUSIVE: "blocks writes; reads go on",
    EXCLUSIVE: "blocks writes; reads go on",
    ACCESS_EXCLUSIVE: "blocks reads and writes",
}

_CONCURRENTLY_INDEX = "build it with CREATE INDEX CONCURRENTLY in a no-transaction migration"
_NOT_VALID = "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration (that scan blocks no reads or writes)"
_EXPAND = "expand and contract: add a new column, backfill it in batches, move the readers, drop the old one later"
_NOT_NULL = "add CHECK (column IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL skips the scan"
_IN_USE = "deployed code that still uses the old {what} fails from this statement on: do it in a contract step"
# Functions whose value differs per row: a column added with one of them as default rewrites the table.
_VOLATILE = frozenset({"RANDOM", "GEN_RANDOM_UUID", "UUID_GENERATE_V4", "UUID_GENERATE_V1", "CLOCK_TIMESTAMP", "TIMEOFDAY", "NEXTVAL", "UUIDV7", "UUIDV4"})


@dataclass(frozen=True)
class TableLock:
    table: str
    level: str
    new: bool = False  # created earlier in the same migration: nobody else can be waiting on it

    @property
    def blocks(self) -> str:
        return BLOCKS[self.level]


@dataclass(frozen=True)
class StatementEffect:
    line: int
    kind: str  # "ALTER TABLE SET NOT NULL", "CREATE INDEX CONCURRENTLY", …
    locks: tuple[TableLock, ...]
    rewrite: bool = False  # the table is rewritten (every row copied; ACCESS EXCLUSIVE for that long)
    scan: bool = False  # every row is read while the lock is held
    hazards: tuple[str, ...] = ()
    on_new_table: bool = False  # it changes a table created earlier in the same migration


@dataclass
class _Effect:
    kinds: list[str] = field(default_factory=list)
    locks: dict[str, str] = field(default_factory=dict)
    rewrite: bool = False
    scan: bool = False
    hazards: list[str] = field(default_factory=list)
    subject: str = ""  # the table the statement changes, where it has one

    def lock(self, table: str, level: str) -> None:
        held = self.locks.get(table)
        if held is None or LEVELS.index(level) > LEVELS.index(held):
            self.locks[table] = level

    def hazard(self, text: str) -> None:
        if text not in self.hazards:
            self.hazards.append(text)


def _key(name: str) -> str:
    """A table name as the comparisons need it: unquoted where quoting changes nothing, `public.` dropped."""
    parts = [p[1:-1].replace('""', '"') if p.startswith('"') else p.lower() for p in name.split(".")]
    if len(parts) == 2 and parts[0] == "public":
        parts = parts[1:]
    return ".".join(parts)


def _qualified(words: Sequence[Word], start: int) -> tuple[str, int]:
    """The (possibly schema-qualified) name at `start` and the index after it."""
    if start >= len(words):
        return "", start
    parts = [words[start].text]
    index = start + 1
    while index + 1 < len(words) and words[index].text == "." and words[index].depth == words[start].depth:
        parts.append(words[index + 1].text)
        index += 2
    return ".".join(parts), index


def _skip(upper: Sequence[str], index: int, *optional: str) -> int:
    while index < len(upper) and upper[index] in optional:
        index += 1
    return index


def _split_actions(words: Sequence[Word]) -> list[list[Word]]:
    actions: list[list[Word]] = [[]]
    for word in words:
        if word.depth == 0 and word.text == ",":
            actions.append([])
        else:
            actions[-1].append(word)
    return [a for a in actions if a]


def _not_null_check(action: Sequence[Word]) -> str | None:
    """The column of a `CHECK (column IS NOT NULL)` constraint, else None."""
    upper = [w.upper for w in action]
    if "CHECK" not in upper:
        return None
    inner = [w for w in action[upper.index("CHECK") + 1 :] if w.depth >= 1 and w.text not in "()"]
    if len(inner) == 3 and inner[1].upper == "IS" and inner[2].upper == "NOT NULL":
        return _key(inner[0].text)
    return None


class LockWalk:
    """Walks migrations in order: the tables each one creates, and the NOT NULL checks added and validated so far
    (a check added NOT VALID in one migration and validated in the next proves SET NOT NULL in the one after)."""

    def __init__(self, proven_not_null: set[tuple[str, str]] | None = None) -> None:
        self.created: set[str] = set()
        self.proven = proven_not_null if proven_not_null is not None else set()
        self.pending_checks: dict[str, tuple[str, str]] = {}  # constraint added NOT VALID -> (table, column)

    def migration(self, sql: str) -> list[StatementEffect]:
        self.created = set()  # created in an earlier migration: others may use it by now
        return [self.effect(statement) for statement in parse_statements(sql)]

    def effect(self, statement: Statement) -> StatementEffect:
        words = statement.words
        upper = [w.upper for w in words]
        effect = _Effect()
        verb = upper[0] if upper else ""
        if upper[:2] == ["ALTER", "TABLE"]:
            self._alter_table(words, upper, effect)
        elif verb == "CREATE" and "INDEX" in upper[:3]:
            self._create_index(words, upper, effect)
        elif verb == "CREATE" and "TABLE" in upper[:5]:
            self._create_table(words, upper, effect)
        elif verb == "DROP" and upper[1:2] == ["INDEX"]:
            concurrently = "CONCURRENTLY" in upper[:4]
            start = _skip(upper, 2, "CONCURRENTLY", "IF EXISTS")
            name, _ = _qualified(words, start)
            effect.kinds.append("DROP INDEX CONCURRENTLY" if concurrently else "DROP INDEX")
            effect.lock(f"table of index {_key(name)}", SHARE_UPDATE_EXCLUSIVE if concurrently else ACCESS_EXCLUSIVE)
            if not concurrently:
                effect.hazard("drop it with DROP INDEX CONCURRENTLY in a no-transaction migration")
        elif verb == "DROP" and upper[1:2] == ["TABLE"] or verb == "TRUNCATE":
            effect.kinds.append(" ".join(upper[:2]) if verb == "DROP" else "TRUNCATE")
            for name in self._names(words, upper, _skip(upper, 1 if verb == "TRUNCATE" else 2, "TABLE", "IF EXISTS", "ONLY")):
                effect.lock(name, ACCESS_EXCLUSIVE)
            if verb == "DROP":
                effect.hazard(_IN_USE.format(what="table"))
        elif verb in ("INSERT", "UPDATE", "DELETE", "MERGE"):
            at = {"INSERT": 2, "UPDATE": _skip(upper, 1, "ONLY"), "DELETE": _skip(upper, 2, "ONLY"), "MERGE": 2}[verb]
            table = _key(_qualified(words, at)[0])
            effect.kinds.append(verb)
            effect.lock(table, ROW_EXCLUSIVE)
            if verb in ("UPDATE", "DELETE") and "WHERE" not in upper and table not in self.created:
                effect.scan = True
                effect.hazard("every row in one transaction: row locks held to the end and the table bloats; backfill in batches")
        elif verb == "LOCK":
            start = _skip(upper, 1, "TABLE", "ONLY")
            mode = " ".join(upper[upper.index("IN") + 1 : upper.index("MODE")]) if "IN" in upper and "MODE" in upper else ACCESS_EXCLUSIVE
            effect.kinds.append("LOCK TABLE")
            for name in self._names(words, upper, start):
                effect.lock(name, mode if mode in LEVELS else ACCESS_EXCLUSIVE)
        elif verb == "CREATE" and "TRIGGER" in upper[:4] or verb == "CREATE" and "POLICY" in upper[:2]:
            on = upper.index("ON") if "ON" in upper else len(upper)
            table = _key(_qualified(words, on + 1)[0])
            effect.kinds.append("CREATE TRIGGER" if "TRIGGER" in upper[:4] else "CREATE POLICY")
            effect.lock(table, SHARE_ROW_EXCLUSIVE if "TRIGGER" in upper[:4] else ACCESS_EXCLUSIVE)
        elif verb in ("DROP", "ALTER") and upper[1:2] in (["TRIGGER"], ["POLICY"]) and "ON" in upper:
            effect.kinds.append(" ".join(upper[:2]))
            effect.lock(_key(_qualified(words, upper.index("ON") + 1)[0]), ACCESS_EXCLUSIVE)
        elif verb == "COMMENT" and upper[2:3] in (["TABLE"], ["COLUMN"]):
            name, _ = _qualified(words, 3)
            effect.kinds.append("COMMENT ON " + upper[2])
            effect.lock(_key(name if upper[2] == "TABLE" else name.rsplit(".", 1)[0]), SHARE_UPDATE_EXCLUSIVE)
        elif verb in ("VACUUM", "CLUSTER", "REINDEX", "REFRESH"):
            self._maintenance(words, upper, effect)
        else:
            effect.kinds.append(" ".join(upper[:2]) if verb in ("CREATE", "DROP", "ALTER") else verb)
        return self._finish(statement, effect)

    def _finish(self, statement: Statement, effect: _Effect) -> StatementEffect:
        locks = tuple(TableLock(table, level, table in self.created) for table, level in effect.locks.items())
        if locks and all(lock.new for lock in locks) or effect.subject in self.created:
            # An empty table nobody else can see yet: no scan or rewrite worth the name, nobody queued behind it
            # (a foreign key from it still locks the table it references, which stays listed).
            return StatementEffect(statement.line, ", ".join(effect.kinds), locks, on_new_table=True)
        return StatementEffect(statement.line, ", ".join(effect.kinds), locks, effect.rewrite, effect.scan, tuple(effect.hazards))

    @staticmethod
    def _names(words: Sequence[Word], upper: Sequence[str], start: int) -> list[str]:
        names = []
        index = start
        while index < len(words):
            name, index = _qualified(words, index)
            names.append(_key(name))
            if index < len(words) and words[index].text == ",":
                index += 1
            else:
                break
        return names

    def _create_table(self, words: Sequence[Word], upper: list[str], effect: _Effect) -> None:
        start = _skip(upper, upper.index("TABLE") + 1, "IF NOT EXISTS")
        name = _key(_qualified(words, start)[0])
        effect.kinds.append("CREATE TABLE")
        if "PARTITION" in upper and upper[upper.index("PARTITION") + 1 : upper.index("PARTITION") + 2] == ["OF"]:
            effect.lock(_key(_qualified(words, upper.index("PARTITION") + 2)[0]), ACCESS_EXCLUSIVE)
            effect.scan = "DEFAULT" not in upper  # a default partition is scanned for rows that now belong here
        for index, word in enumerate(upper):
            if word == "REFERENCES":
                effect.lock(_key(_qualified(words, index + 1)[0]), SHARE_ROW_EXCLUSIVE)
        self.created.add(name)

    def _create_index(self, words: Sequence[Word], upper: list[str], effect: _Effect) -> None:
        concurrently = "CONCURRENTLY" in upper[:4]
        on = upper.index("ON") if "ON" in upper else len(upper) - 1
        table = effect.subject = _key(_qualified(words, _skip(upper, on + 1, "ONLY"))[0])
        effect.kinds.append("CREATE INDEX CONCURRENTLY" if concurrently else "CREATE INDEX")
        effect.lock(table, SHARE_UPDATE_EXCLUSIVE if concurrently else SHARE)
        effect.scan = True
        if not concurrently:
            effect.hazard(_CONCURRENTLY_INDEX)

    def _maintenance(self, words: Sequence[Word], upper: list[str], effect: _Effect) -> None:
        verb = upper[0]
        concurrently = "CONCURRENTLY" in upper
        rest = [i for i, w in enumerate(words) if i > 0 and not w.keyword and w.depth == 0 and w.text not in "(),"]
        name = _key(_qualified(words, rest[0])[0]) if rest else "the database"
        effect.kinds.append(" ".join(upper[:2]) if verb != "CLUSTER" else verb)
        if verb == "VACUUM":
            full = "FULL" in upper
            effect.lock(name, ACCESS_EXCLUSIVE if full else SHARE_UPDATE_EXCLUSIVE)
            effect.rewrite = full
        elif verb == "CLUSTER":
            effect.lock(name, ACCESS_EXCLUSIVE)
            effect.rewrite = True
        elif verb == "REINDEX":
            effect.lock(name, SHARE_UPDATE_EXCLUSIVE if concurrently else SHARE if "TABLE" in upper else ACCESS_EXCLUSIVE)
            effect.scan = True
            if not concurrently:
                effect.hazard("REINDEX … CONCURRENTLY (PostgreSQL 12+) in a no-transaction migration")
        else:
            effect.lock(name, EXCLUSIVE if concurrently else ACCESS_EXCLUSIVE)
            effect.scan = True
        if effect.rewrite:
            effect.hazard("rewrites the table under ACCESS EXCLUSIVE: run it outside deploys, or use pg_repack")

    def _alter_table(self, words: Sequence[Word], upper: list[str], effect: _Effect) -> None:
        start = _skip(upper, 2, "IF EXISTS", "ONLY")
        name, after = _qualified(words, start)
        table = effect.subject = _key(name)
        if after < len(words) and words[after].text == "*":
            after += 1
        for action in _split_actions(words[after:]):
            self._action(table, action, effect)

    def _action(self, table: str, action: list[Word], effect: _Effect) -> None:
        upper = [w.upper for w in action]
        first = upper[0]
        level = ACCESS_EXCLUSIVE
        if first == "ADD" and len(upper) > 1 and upper[1].split()[0] in ("CONSTRAINT", "CHECK", "FOREIGN", "PRIMARY", "UNIQUE", "EXCLUDE"):
            level = self._add_constraint(table, action, upper, effect)
        elif first == "ADD":
            effect.kinds.append("ALTER TABLE ADD COLUMN")
            default_volatile = "DEFAULT" in upper and any(w in _VOLATILE for w in upper[upper.index("DEFAULT") :])
            generated_stored = "GENERATED" in upper and "STORED" in upper
            if default_volatile or generated_stored or any(w in ("SERIAL", "BIGSERIAL", "SMALLSERIAL") for w in upper) or "IDENTITY" in upper:
                effect.rewrite = True
                effect.hazard("fills every row with its own value, rewriting the table: add it without the default, backfill in batches, then set the default")
            for index, word in enumerate(upper):
                if word == "REFERENCES":
                    effect.lock(_key(_qualified(action, index + 1)[0]), SHARE_ROW_EXCLUSIVE)
            if any(w in ("PRIMARY", "UNIQUE", "CHECK") for w in upper):
                effect.scan = True
        elif first == "DROP":
            what = "COLUMN" if upper[1:2] == ["COLUMN"] or upper[1:2] not in (["CONSTRAINT"],) else "CONSTRAINT"
            effect.kinds.append(f"ALTER TABLE DROP {what}")
            if what == "COLUMN":
                effect.hazard(_IN_USE.format(what="column"))
        elif first == "ALTER":
            level = self._alter_column(table, action, upper, effect)
        elif first == "VALIDATE":
            effect.kinds.append("ALTER TABLE VALIDATE CONSTRAINT")
            effect.scan = True
            level = SHARE_UPDATE_EXCLUSIVE
            proven = self.pending_checks.pop(_key(action[-1].text), None)
            if proven is not None:
                self.proven.add(proven)
        elif first == "RENAME":
            effect.kinds.append("ALTER TABLE RENAME")
            if upper[1:2] != ["CONSTRAINT"]:
                effect.hazard(_IN_USE.format(what="name"))
        elif first in ("ENABLE", "DISABLE") and "TRIGGER" in upper:
            effect.kinds.append(f"ALTER TABLE {first} TRIGGER")
            level = SHARE_ROW_EXCLUSIVE
        elif first in ("SET", "RESET") and upper[1:2] in (["("], ["STATISTICS"]) or first in ("CLUSTER",) or upper[:3] == ["SET", "WITHOUT", "CLUSTER"]:
            effect.kinds.append(f"ALTER TABLE {first}")
            level = SHARE_UPDATE_EXCLUSIVE
        elif first == "SET" and upper[1:2] in (["LOGGED"], ["UNLOGGED"], ["TABLESPACE"], ["ACCESS"]):
            effect.kinds.append(f"ALTER TABLE SET {upper[1]}")
            effect.rewrite = True
            effect.hazard("rewrites the table under ACCESS EXCLUSIVE")
        elif first == "ATTACH":
            effect.kinds.append("ALTER TABLE ATTACH PARTITION")
            effect.lock(_key(_qualified(action, 2)[0]), ACCESS_EXCLUSIVE)
            effect.scan = True  # unless a validated CHECK on the partition implies its bound
            level = SHARE_UPDATE_EXCLUSIVE
        elif first == "DETACH":
            effect.kinds.append("ALTER TABLE DETACH PARTITION")
            concurrently = "CONCURRENTLY" in upper
            effect.lock(_key(_qualified(action, 2)[0]), SHARE_UPDATE_EXCLUSIVE if concurrently else ACCESS_EXCLUSIVE)
            level = SHARE_UPDATE_EXCLUSIVE if concurrently else ACCESS_EXCLUSIVE
        else:
            effect.kinds.append(f"ALTER TABLE {first}")
        effect.lock(table, level)

    def _add_constraint(self, table: str, action: list[Word], upper: list[str], effect: _Effect) -> str:
        not_valid = "VALID" in upper and upper[upper.index("VALID") - 1] == "NOT"
        name = _key(action[2].text) if upper[1] == "CONSTRAINT" else ""
        suffix = " NOT VALID" if not_valid else ""
        if "REFERENCES" in upper:
            effect.kinds.append("ALTER TABLE ADD FOREIGN KEY" + suffix)
            if "REFERENCES" in upper:
                effect.lock(_key(_qualified(action, upper.index("REFERENCES") + 1)[0]), SHARE_ROW_EXCLUSIVE)
            level = SHARE_ROW_EXCLUSIVE
        elif "CHECK" in upper:
            effect.kinds.append("ALTER TABLE ADD CHECK" + suffix)
            column = _not_null_check(action)
            if column is not None:
                if not_valid:
                    self.pending_checks[name] = (table, column)
                else:
                    self.proven.add((table, column))
            level = ACCESS_EXCLUSIVE
        else:
            firsts = {w.split()[0] for w in upper}
            kind = next((k for k in ("PRIMARY KEY", "UNIQUE", "EXCLUDE") if k.split()[0] in firsts), "CONSTRAINT")
            using_index = "USING" in upper and upper[upper.index("USING") + 1 : upper.index("USING") + 2] == ["INDEX"]
            effect.kinds.append(f"ALTER TABLE ADD {kind}" + (" USING INDEX" if using_index else ""))
            if not using_index:
                effect.scan = True
                effect.hazard("builds its index under ACCESS EXCLUSIVE: CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … USING INDEX")
            return ACCESS_EXCLUSIVE
        if not not_valid:
            effect.scan = True
            effect.hazard(_NOT_VALID)
        return level

    def _alter_column(self, table: str, action: list[Word], upper: list[str], effect: _Effect) -> str:
        start = _skip(upper, 1, "COLUMN")
        column = _key(action[start].text) if start < len(action) else ""
        rest = upper[start + 1 :]
        if rest[:1] == ["TYPE"] or rest[:3] == ["SET", "DATA", "TYPE"]:
            effect.kinds.append("ALTER TABLE ALTER COLUMN TYPE")
            effect.rewrite = True
            effect.hazard("rewrites the table and its indexes unless the new type is binary-compatible (varchar(n) to text or a longer varchar): " + _EXPAND)
        elif rest[:1] == ["SET"] and rest[1:2] == ["NOT NULL"]:
            effect.kinds.append("ALTER TABLE ALTER COLUMN SET NOT NULL")
            if (table, column) not in self.proven:
                effect.scan = True
                effect.hazard(_NOT_NULL)
        elif rest[:2] == ["SET", "STATISTICS"]:
            effect.kinds.append("ALTER TABLE ALTER COLUMN SET STATISTICS")
            return SHARE_UPDATE_EXCLUSIVE
        else:
            effect.kinds.append("ALTER TABLE ALTER COLUMN " + " ".join(rest[:2]))
        return ACCESS_EXCLUSIVE


def migration_effects(sql: str, proven_not_null: set[tuple[str, str]] | None = None) -> list[StatementEffect]:
    """The effect of each statement of one migration; `proven_not_null` (table, column) pairs grow as checks are validated."""
    return LockWalk(proven_not_null).migration(sql)

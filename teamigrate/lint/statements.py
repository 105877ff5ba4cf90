"""Migration SQL as statements with accurate positions, for teamigrate's own rules."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlparse import lexer, tokens
from sqlparse.engine import StatementSplitter


@dataclass(frozen=True)
class Word:
    """One significant token as written, with how deep in parentheses it sits."""

    text: str
    depth: int  # 0 is the statement's top level
    keyword: bool

    @property
    def upper(self) -> str:
        # sqlparse lexes `IF NOT EXISTS` and `NOT NULL` as one token each.
        return " ".join(self.text.upper().split())


@dataclass(frozen=True)
class Statement:
    line: int  # 1-based, of the statement's first significant token
    column: int  # 1-based
    words: tuple[Word, ...]

    @property
    def verb(self) -> str:
        return self.words[0].upper if self.words else ""

    def top_level_keywords(self) -> tuple[str, ...]:
        return tuple(w.upper for w in self.words if w.keyword and w.depth == 0)

    def normalized(self) -> str:
        """The statement on one line, comments dropped, keywords upper-cased, `a . b` written `a.b`."""
        text = " ".join(w.upper if w.keyword else w.text for w in self.words)
        return text.replace(" . ", ".")


@functools.lru_cache(maxsize=None)
def _kind(ttype: tokens._TokenType) -> tuple[bool, bool]:
    """(significant, keyword) for a token type; sqlparse's type test walks the type's ancestry, so it is cached."""
    significant = not (ttype in tokens.Whitespace or ttype in tokens.Comment or ttype in tokens.Newline)
    return significant, ttype in tokens.Keyword or ttype in tokens.Name.Builtin


def parse_statements(sql: str) -> list[Statement]:
    # The lexer and splitter alone, without sqlparse's grouping pass: grouping
    # is most of sqlparse's cost and the rules need only the flat token stream.
    statements: list[Statement] = []
    line, column = 1, 1
    for raw in StatementSplitter().process(lexer.tokenize(sql)):
        start: tuple[int, int] | None = None
        words: list[Word] = []
        depth = 0
        for token in raw.flatten():
            ttype, value = token.ttype, token.value
            significant, is_keyword = _kind(ttype)
            if significant and not (ttype is tokens.Punctuation and value == ";"):
                if start is None:
                    start = (line, column)
                if value == ")":
                    depth = max(depth - 1, 0)
                words.append(Word(value, depth, is_keyword))
                if value == "(":
                    depth += 1
            newlines = value.count("\n")
            if newlines:
                line += newlines
                column = len(value) - value.rfind("\n")
            else:
                column += len(value)
        if start is not None:
            statements.append(Statement(start[0], start[1], tuple(words)))
    return statements

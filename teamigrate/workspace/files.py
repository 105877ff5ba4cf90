"""Schema files: read from the work tree, and loaded into a database so that a failure names its file and line."""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import psycopg
import sqlparse

from teamigrate.database import connect
from teamigrate.errors import TeamigrateError
from teamigrate.server.extensions import ServerBuild, build_serving, missing_extension, unavailable


_COPY = re.compile(r"\bCOPY\b", re.IGNORECASE)


@dataclass(frozen=True)
class SqlFile:
    """A schema file's name (for messages) and text."""

    name: str
    text: str


def schema_files(path: Path) -> list[SqlFile]:
    """The schema as files: one file, or every .sql file below a folder in name order."""
    if path.is_file():
        return [_read_sql(path, path.name)]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.sql") if p.is_file())
        if not files:
            raise TeamigrateError("TM302", f"schema folder {path} holds no .sql files", "add the schema's .sql files, or point `schema:` at a file")
        return [_read_sql(p, str(p.relative_to(path.parent))) for p in files]
    raise TeamigrateError("TM302", f"schema source {path} does not exist", "create it, or fix `schema:` in teamigrate.yaml")


def _read_sql(path: Path, name: str) -> SqlFile:
    try:
        return SqlFile(name, path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise TeamigrateError("TM302", f"{name} is not UTF-8 text", "save it as UTF-8") from None


def load_sql_files(url: str, files: Sequence[SqlFile]) -> None:
    """Run schema files into a scratch database; a failure names the file and line."""
    with connect(url) as conn:
        load_sql_into(conn, files)


def load_sql_into(conn: psycopg.Connection, files: Sequence[SqlFile]) -> None:
    """load_sql_files on an open connection; inside the caller's transaction, each file runs in a savepoint.

    There, a file that cannot run in a transaction (CREATE INDEX CONCURRENTLY)
    raises psycopg's ActiveSqlTransaction for the caller to load it elsewhere.
    """
    in_transaction = conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    for sql_file in files:
        _refuse_copy(sql_file)
        try:
            with conn.transaction() if in_transaction else nullcontext():
                run_sql_text(conn, sql_file.text)
        except psycopg.Error as exc:
            if in_transaction and isinstance(exc, (psycopg.errors.ActiveSqlTransaction, psycopg.errors.DiskFull)):
                raise  # it cannot run in the caller's transaction, or not where it is: the caller loads it elsewhere
            raise sql_error(exc, sql_file.name, sql_file.text, "TM303", failing_line(conn, sql_file.text), conn=conn) from None


def _refuse_copy(sql_file: SqlFile) -> None:
    """TM303 for COPY … FROM stdin (pg_dump's data, psql's stream): sent to PostgreSQL it leaves the session waiting for data."""
    if not _COPY.search(sql_file.text):
        return
    from teamigrate.history.apply import split_statements

    for statement in split_statements(sql_file.text):
        words = statement.keywords
        if words[:1] == ("COPY",) and any(words[i : i + 2] in (("FROM", "STDIN"), ("TO", "STDOUT")) for i in range(len(words))):
            raise TeamigrateError("TM303", f"{sql_file.name}:{statement.line}: COPY … FROM stdin / TO stdout needs psql's data stream",
                                  "keep schema files to the schema (pg_dump --schema-only); put data in INSERT … VALUES statements")


def failing_line(conn: psycopg.Connection, text: str) -> int | None:
    """The line of the statement that fails, found by running them one by one in a transaction rolled back after."""
    from teamigrate.history.apply import split_statements

    # The batch failed as a whole, so nothing of it is in the database: replaying
    # it statement by statement (then rolling back) finds where PostgreSQL gave no position.
    with conn.transaction(force_rollback=True):
        for statement in split_statements(text):
            try:
                with conn.transaction():
                    conn.execute(statement.text.encode())
            except psycopg.Error as exc:
                position = exc.diag.statement_position
                extra = statement.text[: int(position) - 1].count("\n") if position and str(position).isdigit() else 0
                return statement.line + extra
    return None


def run_sql_text(conn: psycopg.Connection, text: str) -> None:
    if not text.strip():
        return
    try:
        conn.execute(text.encode())  # bytes: no client-side parameter parsing of % signs
    except psycopg.errors.ActiveSqlTransaction:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            raise  # inside the caller's transaction: one statement at a time would not help
        # CREATE INDEX CONCURRENTLY and friends refuse a multi-statement batch.
        for statement in sqlparse.split(text):
            if statement.strip().rstrip(";").strip():
                conn.execute(statement.encode())


def sql_error(exc: psycopg.Error, name: str, text: str, code: str, line: int | None = None, *,
              conn: psycopg.Connection | None = None, in_shadow: bool = True) -> TeamigrateError:
    """The error for SQL of a file that PostgreSQL refused: `code` naming the file and line, or, for an
    extension the server lacks, TM116 (the shadow) or TM129 (`in_shadow=False`: the developer's database)."""
    message = (exc.diag.message_primary or str(exc)).strip()
    extension = missing_extension(exc)
    if extension is not None:
        # The SQL is fine: "fix the SQL at that line" would send the reader the wrong way.
        build = build_serving(conn) if conn is not None and not conn.closed else ServerBuild(0, None, False)
        server, hint = unavailable(extension, build, shadow=in_shadow)
        return TeamigrateError("TM116" if in_shadow else "TM129", f"{name} needs extension `{extension}`, {server}", hint)
    line = _error_line(exc, text) or line
    where = f"{name}:{line}" if line else name
    return TeamigrateError(code, f"{where}: {message}", "fix the SQL at that line")


def _error_line(exc: psycopg.Error, text: str) -> int | None:
    position = exc.diag.statement_position
    if not position:
        return None
    return text[: int(position) - 1].count("\n") + 1

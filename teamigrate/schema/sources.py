"""Schema sources for --from/--to: name them, build them in the shadow, introspect them."""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import psycopg
import sqlparse

from teamigrate.config import Config
from teamigrate.database import connect, is_url, mask_url
from teamigrate.errors import TeamigrateError
from teamigrate.history.migrations import Migration, MigrationDirectory, migrations_from_files
from teamigrate.schema.model import Schema
from teamigrate.shadow import ShadowServer, development_database_url
from teamigrate.shadow.cache import replayed_history

SOURCE_KINDS = "empty, database, a postgresql:// URL, schema[:PATH], migrations[:PATH], git:REF[:schema|:migrations]"


@dataclass(frozen=True)
class Source:
    """Where a schema comes from, as the user named it."""

    text: str
    kind: str  # "empty" | "url" | "schema" | "migrations"
    url: str | None = None
    path: Path | None = None
    ref: str | None = None  # read from git at this ref instead of the work tree

    @property
    def label(self) -> str:
        return mask_url(self.text)


def parse_source(text: str, config: Config) -> Source:
    value = text.strip()
    if value == "empty":
        return Source(value, "empty")
    if value == "database":
        return Source(value, "url", url=development_database_url(config))
    if is_url(value):
        return Source(value, "url", url=value)
    if value.startswith("git:"):
        rest = value[len("git:"):]
        ref, _, which = rest.partition(":")
        if not ref:
            raise TeamigrateError("TM301", f"source `{value}` names no git ref", "write git:REF, git:REF:schema or git:REF:migrations")
        if which == "":
            which = "schema" if config.schema is not None else "migrations"
        if which == "schema":
            if config.schema is None:
                raise TeamigrateError("TM301", f"source `{value}`: the config names no schema file", "set `schema:` in teamigrate.yaml, or use git:REF:migrations")
            return Source(value, "schema", path=config.schema, ref=ref)
        if which == "migrations":
            return Source(value, "migrations", path=config.migrations, ref=ref)
        raise TeamigrateError("TM301", f"source `{value}`: `{which}` is neither schema nor migrations", "write git:REF:schema or git:REF:migrations")
    kind, _, path_text = value.partition(":")
    if kind == "schema":
        path = (Path(path_text) if path_text else config.schema)
        if path is None:
            raise TeamigrateError("TM301", "source `schema`: the config names no schema file", "set `schema: schema.sql` in teamigrate.yaml, or write schema:PATH")
        return Source(value, "schema", path=_absolute(path, config))
    if kind == "migrations":
        path = Path(path_text) if path_text else config.migrations
        return Source(value, "migrations", path=_absolute(path, config))
    raise TeamigrateError("TM301", f"unknown schema source `{mask_url(value)}`", f"a source is one of: {SOURCE_KINDS}")


def _absolute(path: Path, config: Config) -> Path:
    return path if path.is_absolute() else (Path.cwd() / path)


# --- schema files ------------------------------------------------------------


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
        try:
            with conn.transaction() if in_transaction else nullcontext():
                run_sql_text(conn, sql_file.text)
        except psycopg.Error as exc:
            if in_transaction and isinstance(exc, psycopg.errors.ActiveSqlTransaction):
                raise  # it cannot run in the caller's transaction: the caller loads it elsewhere
            raise sql_error(exc, sql_file.name, sql_file.text, "TM303", failing_line(conn, sql_file.text)) from None


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


_MISSING_EXTENSION = re.compile(r'extension "([^"]+)" is not available|could not open extension control file ".*/([^/"]+)\.control"')


def sql_error(exc: psycopg.Error, name: str, text: str, code: str, line: int | None = None) -> TeamigrateError:
    message = (exc.diag.message_primary or str(exc)).strip()
    missing = _MISSING_EXTENSION.search(str(exc))
    if missing:
        extension = missing.group(1) or missing.group(2)
        return TeamigrateError(
            "TM116",
            f"{name}: the shadow server has no extension `{extension}`",
            "install it on the shadow server, or set shadow_pg_bin (PostgreSQL binaries that have it) or shadow_database_url in teamigrate.yaml",
        )
    line = _error_line(exc, text) or line
    where = f"{name}:{line}" if line else name
    return TeamigrateError(code, f"{where}: {message}", "fix the SQL at that line")


def _error_line(exc: psycopg.Error, text: str) -> int | None:
    position = exc.diag.statement_position
    if not position:
        return None
    return text[: int(position) - 1].count("\n") + 1


# --- building sources in the shadow ------------------------------------------


class SchemaWorkspace:
    """Builds sources as databases on the shadow server and introspects them."""

    def __init__(self, config: Config, shadow: ShadowServer) -> None:
        self.config = config
        self.shadow = shadow

    @property
    def exclude_tables(self) -> tuple[tuple[str, str], ...]:
        return ((self.config.history_schema, self.config.history_name),)

    @contextmanager
    def database(self, source: Source) -> Iterator[str]:
        """A database in the source's state: the live one for a URL, else a scratch one."""
        if source.kind == "url":
            assert source.url is not None
            yield source.url
            return
        if source.kind == "migrations":
            assert source.path is not None
            migrations = self._git_migrations(source) if source.ref else _directory_migrations(source.path)
            with replayed_history(self.shadow, migrations) as url:
                yield url
            return
        with self.shadow.scratch() as url:
            if source.kind == "schema":
                assert source.path is not None
                load_sql_files(url, self._git_schema_files(source) if source.ref else schema_files(source.path))
            yield url

    def introspect_all(self, urls: Sequence[str]) -> list[Schema]:
        """Several databases at once: most of the time is the server's catalog queries, which run side by side."""
        if len(urls) < 2:
            return [self.introspect(url) for url in urls]
        with ThreadPoolExecutor(max_workers=len(urls)) as pool:
            return list(pool.map(self.introspect, urls))

    def introspect(self, url: str) -> Schema:
        from teamigrate.schema.introspect import introspect

        with connect(url) as conn:
            return introspect(conn, exclude_tables=self.exclude_tables)

    @contextmanager
    def copy_of(self, url: str) -> Iterator[str]:
        """A scratch copy of a database's schema: by template on the shadow server, else by pg_dump."""
        name = url_database_on(self.shadow, url)
        with ExitStack() as stack:
            copy = None
            if name is not None:
                try:
                    copy = stack.enter_context(self.shadow.scratch(template=name))
                except psycopg.errors.ObjectInUse:
                    pass  # someone is connected to it (a psql session): copy it with pg_dump instead
            if copy is None:
                copy = stack.enter_context(self.shadow.scratch())
                dump = _pg_dump_schema(self.shadow, url)
                with connect(copy) as conn:
                    run_sql_text(conn, dump)
            yield copy

    def _repository(self):  # type: ignore[no-untyped-def]
        from teamigrate.gitflow.git import GitRepository

        return GitRepository(self.config.root)

    def _git_schema_files(self, source: Source) -> list[SqlFile]:
        assert source.path is not None and source.ref is not None
        repository = self._repository()
        relative = repository.relative(source.path)
        listing = repository.run("ls-tree", "-r", "--name-only", _ref(repository, source.ref), "--", relative)
        paths = [p for p in listing.splitlines() if p == relative or (p.startswith(relative.rstrip("/") + "/") and p.endswith(".sql"))]
        if not paths:
            raise TeamigrateError("TM302", f"{relative} does not exist at {source.ref}", "check the ref, or use git:REF:migrations")
        files = []
        for path in sorted(paths):
            data = repository.file_at(source.ref, path) or b""
            try:
                files.append(SqlFile(f"{source.ref}:{path}", data.decode("utf-8")))
            except UnicodeDecodeError:
                raise TeamigrateError("TM302", f"{source.ref}:{path} is not UTF-8 text", "save it as UTF-8") from None
        return files

    def _git_migrations(self, source: Source) -> list[Migration]:
        assert source.path is not None and source.ref is not None
        repository = self._repository()
        relative = repository.relative(source.path)
        listing = repository.run("ls-tree", "-r", "--name-only", _ref(repository, source.ref), "--", relative)
        files: dict[str, bytes] = {}
        for path in listing.splitlines():
            inside = str(PurePosixPath(path).relative_to(relative))
            files[inside] = repository.file_at(source.ref, path) or b""
        return list(migrations_from_files(files, where=f"{source.ref}:{relative}"))


def _ref(repository, ref: str) -> str:  # type: ignore[no-untyped-def]
    if repository.resolve(ref) is None:
        raise TeamigrateError("TM304", f"git ref `{ref}` names no commit", "check the branch, tag or commit name")
    return ref


def _directory_migrations(path: Path) -> list[Migration]:
    return list(MigrationDirectory(path).migrations())


def url_database_on(shadow: ShadowServer, url: str) -> str | None:
    """The database's name when it surely lives on the shadow server (so it can be a template); None sends it through pg_dump."""
    from teamigrate.database import connection_parameters, same_server
    from teamigrate.errors import DatabaseError

    try:
        params = connection_parameters(url)
        on_shadow = same_server(params, connection_parameters(shadow.admin_url))
    except DatabaseError:
        return None
    # Only when certain: a database of the same name on another server would be copied in its place.
    return params.dbname if on_shadow is True else None


def _pg_dump_schema(shadow: ShadowServer, url: str) -> str:
    from teamigrate.shadow.cluster import embedded_bin_dir

    pg_dump = embedded_bin_dir() / "pg_dump"
    result = subprocess.run(
        [str(pg_dump), "--schema-only", "--no-owner", "--no-privileges", "--dbname", url],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise TeamigrateError("TM305", f"pg_dump of {mask_url(url)} failed: {mask_url(result.stderr.strip())}", "check that the database is reachable")
    # pg_dump 18 guards its output with \restrict lines that only psql understands.
    return "\n".join(line for line in result.stdout.splitlines() if not line.startswith("\\"))



"""Schema sources for --from/--to: named by the user, then resolved to plain values by one reader for the work tree and one for a git ref."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from teamigrate.config import Config
from teamigrate.database import is_url, mask_url
from teamigrate.errors import TeamigrateError
from teamigrate.history.migrations import Migration, MigrationDirectory
from teamigrate.workspace.files import SqlFile, schema_files
from teamigrate.workspace.project import development_database_url

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


@dataclass(frozen=True)
class SourceValue:
    """A source resolved to what builds it: nothing, a live database, schema files' texts, or migrations."""

    kind: str  # "empty" | "url" | "files" | "migrations"
    url: str | None = None
    files: tuple[SqlFile, ...] = ()
    migrations: tuple[Migration, ...] = ()


def read_source(source: Source, config: Config) -> SourceValue:
    """The source's texts: from the work tree, or from git at the source's ref."""
    if source.kind == "empty":
        return SourceValue("empty")
    if source.kind == "url":
        return SourceValue("url", url=source.url)
    assert source.path is not None
    if source.ref is not None:
        from teamigrate.git import GitRepository
        from teamigrate.workspace.git_ref import migrations_at, schema_files_at

        repository = GitRepository(config.root)
        if source.kind == "migrations":
            return SourceValue("migrations", migrations=tuple(migrations_at(repository, source.ref, source.path)))
        return SourceValue("files", files=tuple(schema_files_at(repository, source.ref, source.path)))
    if source.kind == "migrations":
        return SourceValue("migrations", migrations=MigrationDirectory(source.path).migrations())
    return SourceValue("files", files=tuple(schema_files(source.path)))

"""The reader of a source at a git ref: schema files and migrations as committed, never the work tree."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from teamigrate.errors import TeamigrateError
from teamigrate.git import GitRepository
from teamigrate.history.migrations import Migration, migrations_from_files
from teamigrate.workspace.files import SqlFile


def schema_files_at(repository: GitRepository, ref: str, path: Path) -> list[SqlFile]:
    relative = repository.relative(path)
    listing = repository.run("ls-tree", "-r", "--name-only", _ref(repository, ref), "--", relative)
    paths = [p for p in listing.splitlines() if p == relative or (p.startswith(relative.rstrip("/") + "/") and p.endswith(".sql"))]
    if not paths:
        raise TeamigrateError("TM302", f"{relative} does not exist at {ref}", "check the ref, or use git:REF:migrations")
    files = []
    for file_path in sorted(paths):
        data = repository.file_at(ref, file_path) or b""
        try:
            files.append(SqlFile(f"{ref}:{file_path}", data.decode("utf-8")))
        except UnicodeDecodeError:
            raise TeamigrateError("TM302", f"{ref}:{file_path} is not UTF-8 text", "save it as UTF-8") from None
    return files


def migrations_at(repository: GitRepository, ref: str, path: Path) -> list[Migration]:
    relative = repository.relative(path)
    listing = repository.run("ls-tree", "-r", "--name-only", _ref(repository, ref), "--", relative)
    files: dict[str, bytes] = {}
    for file_path in listing.splitlines():
        inside = str(PurePosixPath(file_path).relative_to(relative))
        files[inside] = repository.file_at(ref, file_path) or b""
    return list(migrations_from_files(files, where=f"{ref}:{relative}"))


def _ref(repository: GitRepository, ref: str) -> str:
    if repository.resolve(ref) is None:
        raise TeamigrateError("TM304", f"git ref `{ref}` names no commit", "check the branch, tag or commit name")
    return ref

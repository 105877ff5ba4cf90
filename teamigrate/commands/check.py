"""`check`, the gate before a commit lands: every finding with a stable code and a hint."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from teamigrate import __version__, output
from teamigrate.config import Config
from teamigrate.errors import MigrationError, TeamigrateError
from teamigrate.git import GitRepository, blob_id
from teamigrate.history.migrations import DOWN_FILE, MIGRATION_FILE, SUM_FILE, Migration, inside_project, migrations_from_files
from teamigrate.history.sumfile import verify
from teamigrate.commands.check_formats import Finding, print_for_forge
from teamigrate.commands.main_branch import find_main
from teamigrate.planners.mainline import MainLine, main_line

if TYPE_CHECKING:
    from teamigrate.schema.diff import Plan
    from teamigrate.schema.model import Schema
    from teamigrate.workspace.read_ahead import FilesAhead

STATE_FOLDER = ".teamigrate"
STAMP_FILE = "check.ok"


@dataclass(frozen=True)
class CheckReport:
    findings: tuple[Finding, ...]
    migrations: int
    cached: bool  # answered from the stamp of an earlier success, without a database

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_json(self) -> dict[str, object]:
        return {"ok": self.ok, "cached": self.cached, "migrations": self.migrations,
                "findings": [finding.as_json() for finding in self.findings]}


@dataclass(frozen=True)
class Inputs:
    """What is being checked: the work tree, or the index (`--staged`)."""

    migrations_files: dict[str, bytes]  # relative to the migrations folder
    schema_files: dict[str, bytes]  # relative to the schema path's parent
    config_text: bytes

    def fingerprint(self, *extra: str) -> str:
        digest = hashlib.sha256(__version__.encode())
        for group in (self.migrations_files, self.schema_files):
            for path in sorted(group):
                digest.update(b"\0" + path.encode() + b"\0" + hashlib.sha256(group[path]).digest())
        digest.update(self.config_text)
        for item in extra:
            digest.update(b"\0" + item.encode())
        return digest.hexdigest()


def run_check(config: Config, *, staged: bool = False, drift: bool = False, use_cache: bool = True, base: str | None = None) -> CheckReport:
    """`base`: the ref whose migrations count as merged (a merge queue's tip of main) instead of the detected main branch."""
    repository = GitRepository.find(config.root)
    if staged and repository is None:
        raise TeamigrateError("TM500", "--staged needs a git repository", "run `check` without --staged, or inside your repository")
    with _background() as background:
        # git names main_branch's and HEAD's commits while the files are read.
        refs: Future[tuple[str | None, str | None, str | None]] | None = None
        if base is not None:
            refs = background.submit(given_base, repository, base)
            refs.result()  # a base that names nothing stops the check before anything is read
        elif repository is not None:
            refs = background.submit(_main_and_head, repository, config.main_branch)
        try:
            inputs = _read_inputs(config, repository, staged)
        except MigrationError as err:  # a symlink out of the project (TM223): reported like any finding, nothing read
            return CheckReport((Finding.from_error(err),), 0, cached=False)
        main_ref, main_commit, head = refs.result() if refs is not None else (None, None, None)
        # A success with --base also replayed what the base gained: a plain check's stamp does not stand for it.
        fingerprint = inputs.fingerprint(str(main_commit), str(head), str(staged), *(["merged"] if base is not None else []))
        stamp = config.root / STATE_FOLDER / STAMP_FILE
        if use_cache and not drift and _read(stamp) == fingerprint:
            return CheckReport((), len(_migration_ids(inputs)), cached=True)

        # The schema files go to the server first (#17): their load and reading are the longest wait, begun
        # over libpq while Python imports psycopg and the differ, and parses, verifies and lints the rest.
        ahead = _files_ahead(config, inputs)
        # git lists the migrations main_branch and HEAD hold while these are parsed and verified.
        listing = None
        if repository is not None and main_ref is not None and main_commit is not None:
            listing = background.submit(Committed.read, repository, config.migrations, main_ref, main_commit, head)
        findings: list[Finding] = []
        try:
            migrations = list(migrations_from_files(inputs.migrations_files, where=_label(config.migrations, config)))
        except MigrationError as err:
            return CheckReport((Finding.from_error(err),), 0, cached=False)
        if not config.migrations.is_dir() and not staged:
            return CheckReport((Finding("TM200", f"{_label(config.migrations, config)} does not exist", "run `teamigrate init`"),), 0, False)

        sum_text = inputs.migrations_files.get("teamigrate.sum")
        try:
            verify(migrations, sum_text.decode("utf-8", "replace") if sum_text is not None else None,
                   f"{_label(config.migrations, config)}/teamigrate.sum")
        except MigrationError as err:
            findings.append(Finding.from_error(err))

        # Replaying and reading the schema source take the database's time: started
        # first, they run while git and the linter are asked (a sum error stops them).
        replay = None if any(f.code == "TM209" for f in findings) else background.submit(_replay_findings, config, migrations, inputs, drift, ahead)
        committed = listing.result() if listing is not None else None
        new_on_branch = _new_on_branch(migrations, committed)
        lint = background.submit(_lint_findings, config, new_on_branch)  # squawk runs while edits are looked for
        if committed is not None:
            assert repository is not None
            findings.extend(_branch_findings(committed, migrations, repository, head))
        elif repository is not None and head is not None:
            output.warn(f"main_branch `{config.main_branch}` names no branch here (nor origin/{config.main_branch}): edited and misordered migrations are not checked")
        findings.extend(lint.result())
        if replay is not None:
            findings.extend(replay.result())
        if base is not None and committed is not None and not findings:
            assert repository is not None
            findings.extend(merged_replay_findings(config, repository, committed, migrations))

    report = CheckReport(tuple(findings), len(migrations), cached=False)
    if report.ok and not drift:
        _write_stamp(stamp, fingerprint)
    return report


@contextmanager
def _background() -> Iterator[ThreadPoolExecutor]:
    """check's threads: waited for when the check ends, but not after Ctrl-C. A thread may be connecting to a
    database that does not answer (--drift), for up to its 10 s connect timeout; the process ends without it."""
    pool = ThreadPoolExecutor(max_workers=3)
    try:
        yield pool
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


@dataclass(frozen=True)
class Committed:
    """The migrations folder as main_branch and HEAD hold it, each file by its git blob id."""

    main_ref: str
    main_commit: str
    folder: str  # as git names it
    main: dict[str, str]
    head: dict[str, str] | None  # None: HEAD is main_branch's commit, or there is none

    @classmethod
    def read(cls, repository: GitRepository, folder: Path, main_ref: str, main_commit: str, head: str | None) -> Committed:
        relative = repository.relative(folder)
        # Object ids, not contents: a file is unchanged when its bytes hash to the committed id.
        commits = [main_commit] if head is None or head == main_commit else [main_commit, head]
        main, *at_head = repository.blob_ids_at(commits, relative)
        return cls(main_ref, main_commit, relative, main, at_head[0] if at_head else None)

    def main_line(self, migrations: Sequence[Migration]) -> MainLine:
        # A squash here of migrations on main sits where its range sat; the ones it replaces are gone on purpose.
        return main_line({m.id: m.replaces for m in migrations}, _folders(self.main))


def _new_on_branch(migrations: list[Migration], committed: Committed | None) -> list[Migration]:
    if committed is None:
        return migrations
    new = set(committed.main_line(migrations).new)
    return [m for m in migrations if m.id in new]


def _branch_findings(committed: Committed, migrations: list[Migration], repository: GitRepository, head: str | None) -> list[Finding]:
    """Migrations edited since main_branch or HEAD, misordered, squashed in part, or missing."""
    found = _edited_findings(migrations, committed.main, committed.main_ref, "is on")
    if committed.head is not None:
        found.extend(_edited_findings(migrations, committed.head, "HEAD", "was committed in", exclude=_folders(committed.main)))
    line = committed.main_line(migrations)
    found.extend(_order_findings(line, committed.main_ref))
    for squash in line.partial_squashes:
        replaces = next(m.replaces for m in migrations if m.id == squash)
        outside = [old for old in replaces if old not in _folders(committed.main)]
        found.append(Finding(
            "TM509", f"squash {squash} replaces migrations on {committed.main_ref} together with {', '.join(outside)}, not on it: a database at {committed.main_ref} applied only part of its range",
            f"squash only migrations that are on {committed.main_ref} (squash again with --from/--to), or keep the old migrations", squash))
    missing = sorted(line.on_main - {m.id for m in migrations})
    if missing and head is not None:
        # Only what this branch once had is missing; what main gained since the branch left it is not merged yet.
        base = repository.merge_base(committed.main_commit, head)
        had = set(repository.folders_at(base, committed.folder)) if base is not None else set()
        missing = [i for i in missing if i in had]
    for migration_id in missing:
        found.append(Finding("TM522", f"migration {migration_id} is on {committed.main_ref} but not here",
                             f"restore it: git checkout {committed.main_ref} -- {committed.folder}/{migration_id}", migration_id))
    return found


def _main_and_head(repository: GitRepository, main_branch: str) -> tuple[str | None, str | None, str | None]:
    """The main ref and its commit, and HEAD's commit.

    The main ref is origin/<main_branch> unless the local main_branch holds it
    (planners.mainline.main_ref): after `git fetch` the local one is stale; in a
    CI pull-request job it is absent. During a merge on main, the local main is
    still the first parent: what was on main before the merge.
    """
    main, head = find_main(repository, main_branch)
    return main.ref, main.commit, head


def given_base(repository: GitRepository | None, base: str) -> tuple[str, str, str | None]:
    """`--base REF`: the ref, its commit and HEAD's commit; TM510 when it names no commit."""
    if repository is None:
        raise TeamigrateError("TM500", "--base needs a git repository", "run `check` without --base, or inside your repository")
    commit, head = repository.resolve_all(base, "HEAD")
    if commit is None:
        raise TeamigrateError("TM510", f"--base `{base}` names no commit here",
                              "fetch it first (in CI: `git fetch origin main`, or checkout with fetch-depth: 0), or check the name with `git branch -a`")
    return base, commit, head


def merged_replay_findings(config: Config, repository: GitRepository, committed: Committed, migrations: Sequence[Migration]) -> list[Finding]:
    """What the base gained since this branch left it, replayed with this branch's migrations in the order deploy runs them after a merge."""
    from teamigrate.planners.squash import deploy_sequence
    from teamigrate.workspace.schemas import Workspace

    ours = {m.id for m in migrations} | {old for m in migrations for old in m.replaces}
    if _folders(committed.main) <= ours:
        return []  # nothing new on the base: the replay of this tree already is the merged history
    gained: list[Migration] = []
    try:
        at_base = migrations_from_files(repository.read_folder(committed.main_commit, committed.folder), where=f"{committed.main_ref}:{committed.folder}")
        gained = [m for m in at_base if m.id not in ours]
        Workspace.for_config(config).of_history(deploy_sequence(sorted([*migrations, *gained], key=lambda m: m.id)))
    except TeamigrateError as err:
        finding = Finding.from_error(err)
        merged = f"merged with {committed.main_ref} (which gained {', '.join(m.id for m in gained)})"
        return [Finding(finding.code, f"{merged}: {finding.message}", finding.hint, finding.migration, line=finding.line)]
    return []


def _read_inputs(config: Config, repository: GitRepository | None, staged: bool) -> Inputs:
    config_text = config.path.read_bytes()
    if staged:
        assert repository is not None
        migrations_files = repository.read_folder("", repository.relative(config.migrations))
        schema_files: dict[str, bytes] = {}
        if config.schema is not None:
            relative = repository.relative(config.schema)
            single = repository.file_at("", relative)
            if single is not None:
                schema_files = {Path(relative).name: single}
            else:
                # Named below the folder's parent, as in the work tree and as `new` stores them.
                folder = Path(relative).name
                schema_files = {f"{folder}/{path}": data for path, data in repository.read_folder("", relative).items() if path.endswith(".sql")}
        return Inputs(migrations_files, schema_files, config_text)
    migrations_files = _files_below(config.migrations, config.root, _label(config.migrations, config))
    schema_files = {}
    if config.schema is not None:
        if config.schema.is_file():
            schema_files = {config.schema.name: config.schema.read_bytes()}
        elif config.schema.is_dir():
            schema_files = {str(p.relative_to(config.schema.parent)): p.read_bytes() for p in sorted(config.schema.rglob("*.sql")) if p.is_file()}
    return Inputs(migrations_files, schema_files, config_text)


def _files_below(folder: Path, root: Path | None = None, label: str = "migrations") -> dict[str, bytes]:
    """Every file below `folder` by its `/`-separated relative path, as `rglob` finds them (symlinked folders not entered).

    With `root` (the project), what `deploy` would read (the folder itself, a migration
    folder, its migration.sql or down.sql, teamigrate.sum) must not be a symlink that
    leads out of it (TM223, as MigrationDirectory refuses); other symlinks that do are skipped.
    """
    files: dict[str, bytes] = {}
    if folder.is_dir():
        if root is not None:
            inside_project(folder, root, label)
        _read_tree(str(folder), "", files, root, label)
    return files


def _read_tree(directory: str, prefix: str, files: dict[str, bytes], root: Path | None = None, label: str = "") -> None:
    # os.scandir, not Path.rglob: a history of hundreds of folders is read several times faster.
    try:
        with os.scandir(directory) as scan:
            entries = list(scan)
    except PermissionError:
        return  # skipped, as rglob skips it
    for entry in entries:
        if root is not None and entry.is_symlink() and not _leads_inside(entry, prefix, root, label):
            continue
        if entry.is_dir(follow_symlinks=False):
            _read_tree(entry.path, prefix + entry.name + "/", files, root, label)
        elif entry.is_file(follow_symlinks=False) or (entry.is_symlink() and Path(entry.path).is_file()):
            with open(entry.path, "rb") as file:
                files[prefix + entry.name] = file.read()


def _leads_inside(entry: os.DirEntry[str], prefix: str, root: Path, label: str) -> bool:
    """Whether a symlink stays in the project; raises TM223 for one that leaves it and `deploy` would read."""
    real = Path(os.path.realpath(entry.path))
    if real.is_relative_to(Path(os.path.realpath(root))):
        return True
    relative = prefix + entry.name
    depth = relative.count("/")
    read_by_deploy = (
        (depth == 0 and (entry.name == SUM_FILE or (not entry.name.startswith(".") and real.is_dir())))
        or (depth == 1 and not prefix.startswith(".") and entry.name in (MIGRATION_FILE, DOWN_FILE))
    )
    if read_by_deploy:
        inside_project(Path(entry.path), root, f"{label}/{relative}")  # raises
    return False


def _folders(files: Mapping[str, object]) -> set[str]:
    return {path.split("/", 1)[0] for path in files if "/" in path}


def _migration_ids(inputs: Inputs) -> set[str]:
    return {path.split("/", 1)[0] for path in inputs.migrations_files if path.endswith("/migration.sql")}


def _edited_findings(migrations: Sequence[Migration], committed: dict[str, str], where: str, verb: str, exclude: set[str] = frozenset()) -> list[Finding]:  # type: ignore[assignment]
    """TM520 for each migration whose migration.sql is committed at `where` (path -> blob id) with other bytes."""
    findings = []
    for migration in migrations:
        if migration.id in exclude:
            continue
        before = committed.get(f"{migration.id}/migration.sql")
        if before is not None and before != blob_id(migration.sql_bytes, like=before):
            findings.append(Finding(
                "TM520",
                f"migration {migration.id} {verb} {where} and its migration.sql was edited since",
                f"restore it (git checkout {where} -- <migrations>/{migration.id}) and put the change in a new migration: teamigrate new <name>",
                migration.id,
            ))
    return findings


def _order_findings(line: MainLine, main_branch: str) -> list[Finding]:
    newest = line.newest_on_main
    return [
        Finding("TM521", f"migration {migration_id} is new on this branch but sorts before {newest}, already on {main_branch}",
                "run `teamigrate rebase` to move this branch's migrations after main's", migration_id)
        for migration_id in line.misordered if migration_id not in line.partial_squashes
    ]


def _lint_findings(config: Config, migrations: Sequence[Migration]) -> list[Finding]:
    if not migrations:
        return []
    from teamigrate.lint.linter import lint_migrations

    try:
        diagnostics = lint_migrations(config, migrations)
    except TeamigrateError as err:
        return [Finding.from_error(err)]
    return [
        Finding("TM523", f"{d.shown_path()}:{d.line}:{d.column}: {d.rule} {d.message}",
                d.help or f"fix it, or allow a reviewed exception with `-- teamigrate: allow {d.rule_name}`",
                d.path.parent.name, _label(d.path, config), d.line)
        for d in diagnostics if d.level == "error"
    ]


def _schema_files(inputs: Inputs) -> list[tuple[str, str]]:
    """The schema files as (name, text), in the order schema_files() loads them for every other command: by path parts, not as strings."""
    return [(name, data.decode("utf-8", "replace")) for name, data in sorted(inputs.schema_files.items(), key=lambda item: Path(item[0]))]


def _files_ahead(config: Config, inputs: Inputs) -> FilesAhead | None:
    if not inputs.schema_files:
        return None
    from teamigrate.workspace.read_ahead import FilesAhead

    return FilesAhead(config, _schema_files(inputs), ((config.history_schema, config.history_name),))  # as Workspace.exclude_tables


def _replay_findings(config: Config, migrations: Sequence[Migration], inputs: Inputs, drift: bool, ahead: FilesAhead | None = None) -> list[Finding]:
    from teamigrate.schema.diff import diff_schemas
    from teamigrate.workspace.schemas import Workspace
    from teamigrate.workspace.files import SqlFile
    from teamigrate.workspace.project import development_database_url

    findings: list[Finding] = []
    try:
        workspace = Workspace.for_config(config)
        # What the replayed history is compared with, each read side by side with the replay.
        comparisons: list[tuple[str, str, str, Callable[[], Schema]]] = []
        if inputs.schema_files:
            files = [SqlFile(name, text) for name, text in _schema_files(inputs)]
            comparisons.append(("TM524", "the schema source", "run `teamigrate new <name>` to write a migration for the change",
                                lambda: workspace.reader.of_files(files, ahead)))
        if drift:
            comparisons.append(("TM525", "your database", "run `teamigrate dev --capture-drift` to keep the change as a migration, or `teamigrate reset`",
                                lambda: workspace.introspect(development_database_url(config))))
        with ThreadPoolExecutor(max_workers=1 + len(comparisons)) as pool:
            replayed_future = pool.submit(workspace.of_history, migrations)
            futures = [pool.submit(read) for *_, read in comparisons]
        replayed = replayed_future.result()
        for (code, what, hint, _), future in zip(comparisons, futures):
            plan = diff_schemas(replayed, future.result())
            if not plan.is_empty:
                findings.append(Finding(code, f"{what} differs from the replayed migrations: {describe_changes(plan)}", hint))
    except TeamigrateError as err:
        findings.append(Finding.from_error(err))
    return findings


def describe_changes(plan: Plan, limit: int = 8) -> str:
    words = [f"{change.action} {change.kind} {change.name}" for change in plan.changes]
    return ", ".join(words[:limit]) + (f" and {len(words) - limit} more" if len(words) > limit else "")


def _label(path: Path, config: Config) -> str:
    try:
        return str(path.relative_to(config.root))
    except ValueError:
        return str(path)


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _write_stamp(path: Path, fingerprint: str) -> None:
    try:
        path.parent.mkdir(exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(fingerprint + "\n")
        temporary.replace(path)
    except OSError:
        pass  # the cache is an optimisation; a read-only checkout still checks


def report_json(report: CheckReport) -> str:
    return json.dumps(report.as_json(), indent=2)


def check(config: Config, *, staged: bool = False, drift: bool = False, as_json: bool = False, use_cache: bool = True,
          base: str | None = None, format: str = "text") -> int:
    report = run_check(config, staged=staged, drift=drift, use_cache=use_cache, base=base)
    if as_json or format == "json":
        output.raw(report_json(report) + "\n")
    elif format in ("github", "gitlab"):
        print_for_forge(config, report.findings, format)
        if report.ok:
            output.note(f"check passed: {output.count(report.migrations, 'migration')}")
    else:
        for finding in report.findings:
            output.error(TeamigrateError(finding.code, finding.message, finding.hint))
        if report.ok:
            suffix = " (unchanged since the last successful check)" if report.cached else ""
            output.line(f"check passed: {report.migrations} migration{'' if report.migrations == 1 else 's'}{suffix}")
    return 0 if report.ok else 1

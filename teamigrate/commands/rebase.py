"""`teamigrate rebase`: keep the ids of the migrations already on main, move the others after them, resolve teamigrate.sum."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from teamigrate import output
from teamigrate.config import Config
from teamigrate.database import mask_url
from teamigrate.errors import TeamigrateError
from teamigrate.git import GitRepository
from teamigrate.commands.main_branch import find_main
from teamigrate.planners.mainline import main_line
from teamigrate.planners.rebase import RebasePlan, Rename, plan_rebase
from teamigrate.workspace.project import migration_directory, open_target
from teamigrate.history.migrations import Migration
from teamigrate.history.sumfile import SumFile, has_conflict_markers
from teamigrate.schema.diff import diff_schemas
from teamigrate.workspace.schemas import Workspace
from teamigrate.workspace.files import schema_files
from teamigrate.server.shadow import ShadowServer
from teamigrate.workspace.project import development_database_name, development_database_url


@dataclass(frozen=True)
class Sides:
    """Which migrations are already on main (they keep their ids), and what to tell the user to do next."""

    kind: str  # "merge" | "rebase" | "branch"
    label: str  # what "main" is here, for the messages
    settled: frozenset[str]
    next_step: str


def rebase_migrations(config: Config, now: datetime | None = None) -> int:
    repository = GitRepository(config.root)
    folder = repository.relative(config.migrations)
    sum_path = f"{folder}/teamigrate.sum"
    unresolved = [path for path in repository.unmerged_paths() if path != sum_path]
    if unresolved:
        raise TeamigrateError(
            "TM505",
            f"git reports conflicts in {', '.join(unresolved)} besides teamigrate.sum",
            "resolve those files and `git add` them, then run `teamigrate rebase` again",
        )
    sides = _sides(repository, config, folder)
    directory = migration_directory(config)
    migrations = directory.migrations()
    line = main_line({m.id: m.replaces for m in migrations}, sides.settled)
    plan = plan_rebase([m.id for m in migrations], line, now or datetime.now())
    sum_text = directory.read_sum_text() or ""
    conflicted = has_conflict_markers(sum_text)
    if plan.is_empty and not conflicted:
        output.line(f"nothing to rebase: this branch's migrations already come after {sides.label}'s")
        return 0

    result = _renamed(migrations, plan)
    result_sum = SumFile.compute(result)
    # Prove the result before touching anything: a history that does not replay,
    # or does not build the schema source, leaves the work tree as it was.
    _check_in_shadow(config, result)

    _move_all(repository, folder, plan.renames)
    for rename in plan.renames:
        output.line(f"renamed {rename.old_id} -> {rename.new_id}")
    for squash in line.settled_squashes:
        output.line(f"kept {squash} in place: it replaces migrations that are on {sides.label}")
    result_sum.write(directory.sum_path)
    repository.stage(sum_path)
    output.line(f"rewrote {sum_path} ({output.count(len(result), 'migration')}) and staged it")
    _rename_history_rows(config, plan.renames)
    output.line(sides.next_step)
    return 0


def _sides(repository: GitRepository, config: Config, folder: str) -> Sides:
    """What is already on main: the same answer `check` gives, wherever one stands.

    The main branch is origin/<main_branch> unless the local one holds it. Standing
    on main while merging a branch in, the local main is still the merge's first
    parent (HEAD), so main's migrations keep their ids and the branch's move.
    """
    main, _ = find_main(repository, config.main_branch)
    settled: set[str] = set(repository.folders_at(main.commit, folder)) if main.commit else set()
    label = main.ref or config.main_branch
    integration = repository.integration()
    if integration is not None and integration.kind == "merge":
        if main.ref is None:
            # No main branch to ask: the side being merged in keeps its ids, as before main_branch was known.
            settled = _folders_at(repository, folder, integration.other, repository.merge_base(integration.other, integration.branch))
            label = repository.run("rev-parse", "--short", integration.other)
        return Sides("merge", label, frozenset(settled), "the merge is ready: finish it with `git commit --no-edit`")
    if integration is not None:
        # Mid-rebase, HEAD is the upstream plus this branch's commits replayed
        # so far, whose migrations earlier stops already moved: all of it is
        # settled, and only what the commit being replayed adds is new.
        settled |= set(repository.folders_at("HEAD", folder))
        return Sides("rebase", label if main.ref else repository.run("rev-parse", "--short", "HEAD"), frozenset(settled),
                     "continue the rebase with `git rebase --continue`")
    if main.ref is not None:
        return Sides("branch", label, frozenset(settled), "commit the renamed migrations and teamigrate.sum")
    raise TeamigrateError(
        "TM504",
        f"no merge or rebase is in progress and main_branch `{config.main_branch}` names no branch here",
        f"run it during `git merge {config.main_branch}` / `git rebase {config.main_branch}`, or fetch the branch, or set main_branch in teamigrate.yaml",
    )


def _folders_at(repository: GitRepository, folder: str, *refs: str | None) -> set[str]:
    return {name for ref in refs if ref for name in repository.folders_at(ref, folder)}


def _renamed(migrations: Sequence[Migration], plan: RebasePlan) -> list[Migration]:
    new_ids = {rename.old_id: rename.new_id for rename in plan.renames}
    moved = [Migration(new_ids.get(m.id, m.id), m.sql, m.down_sql) for m in migrations]
    return sorted(moved, key=lambda m: m.id)


def _check_in_shadow(config: Config, migrations: Sequence[Migration]) -> None:
    workspace = Workspace.for_config(config)
    # Through the schema store and the replay cache: the history up to main's newest migration is usually cached.
    if config.schema is None:
        workspace.of_history(migrations)
        output.note(f"replayed {output.count(len(migrations), 'migration')} in the shadow database")
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        replayed = pool.submit(workspace.of_history, migrations)
        wanted = workspace.of_files(schema_files(config.schema))
    differences = diff_schemas(replayed.result(), wanted).changed_objects
    if differences:
        raise TeamigrateError(
            "TM506",
            f"the rebased history replays, but differs from {config.schema.name}: {', '.join(differences)}",
            "both branches changed the schema: add a migration that reconciles them (`teamigrate new`), or fix schema.sql; nothing was renamed",
        )
    output.note(f"replayed {output.count(len(migrations), 'migration')} in the shadow database: the result matches {config.schema.name}")


def _move_all(repository: GitRepository, folder: str, renames: Sequence[Rename]) -> None:
    """Every folder moved, or (when git refuses one) none."""
    done: list[Rename] = []
    try:
        for rename in renames:
            _move(repository, f"{folder}/{rename.old_id}", f"{folder}/{rename.new_id}")
            done.append(rename)
    except TeamigrateError:
        for rename in reversed(done):
            _move(repository, f"{folder}/{rename.new_id}", f"{folder}/{rename.old_id}")
        raise


def _move(repository: GitRepository, old: str, new: str) -> None:
    if repository.is_tracked(old):
        repository.move(old, new)
    else:  # a migration not committed yet
        try:
            os.replace(repository.root / old, repository.root / new)
        except OSError as exc:
            raise TeamigrateError("TM501", f"cannot move {old} to {new}: {exc.strerror}", "fix what stands in the way, then run `teamigrate rebase` again") from None


def _rename_history_rows(config: Config, renames: Sequence[Rename]) -> None:
    """Rows of the developer's database that applied the moved migrations follow them, so nothing runs twice."""
    if not renames:
        return
    try:
        if not config.database_url and not ShadowServer.development(config).database_exists(development_database_name(config)):
            return
        url = development_database_url(config, create=False)
        with open_target(config, url) as target:
            if not target.table.exists():
                return
            with target.table.locked():
                rows = {row.id: row for row in target.table.rows()}
                for rename in renames:
                    row = rows.get(rename.old_id)
                    if row is None or row.state != "applied":
                        continue
                    if rename.new_id in rows:
                        target.table.delete(rename.new_id)
                    target.table.rename(rename.old_id, rename.new_id)
                    output.line(f"history of {mask_url(url)}: {rename.old_id} is now {rename.new_id} (not run again)")
    except TeamigrateError as err:
        output.warn(f"could not update the history table ({err.message}); `teamigrate sync` recognises the renamed migrations later")

"""`teamigrate dev`: drift first, then a migration for a changed schema source, then apply what is pending."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime

from teamigrate import output
from teamigrate.config import Config
from teamigrate.database import mask_url
from teamigrate.commands.drift import applied_history, capture_drift, drift_error, explain_drift, find_drift
from teamigrate.commands.new import LoadingFiles, drafted_schema_change, loading_schema_files, schema_source
from teamigrate.commands.replaying import replayed
from teamigrate.errors import TeamigrateError
from teamigrate.git import head_commit
from teamigrate.workspace.project import checked_out_migrations, open_target
from teamigrate.commands.deploy import apply_pending
from teamigrate.history.migrations import Migration, new_migration_id
from teamigrate.schema.model import Schema
from teamigrate.schema.plan import Plan
from teamigrate.workspace.schemas import Workspace
from teamigrate.workspace.sources import Source
from teamigrate.workspace.project import development_database_url


def dev(
    config: Config, *, name: str | None = None, create_only: bool = False, capture: bool = False, online_safe: bool | None = None,
    now: datetime | None = None,
) -> int:
    migrations = checked_out_migrations(config)
    moment = now or datetime.now()
    if name is not None:
        new_migration_id(name, moment)  # a bad name fails before anything runs
    source = schema_source(config, "dev") if config.schema is not None else None
    url = development_database_url(config)
    workspace = Workspace.for_config(config, user_database_url=url)
    output.note(f"database: {mask_url(url)}")

    # The connection is closed before the shadow copies the database (a template needs it idle).
    with open_target(config, url) as target:
        applied = applied_history(target, migrations)
    written: tuple[Migration, ...] = ()
    with ExitStack() as stack:
        applied_url = stack.enter_context(replayed(workspace.shadow, applied))
        # The schema files load while drift is looked for (an unreadable one is reported where it was, after drift).
        loading = _start_loading(stack, workspace, source) if source is not None else None
        drift, applied_schema = _settle_drift(workspace, applied_url, url, capture)
        captured = capture_drift(config, workspace, migrations, applied_url, url, moment, name) if drift is not None else None
        if captured is not None:
            migrations = (*migrations, captured)
        if source is not None:
            # Nothing pending (the usual case): the replay just made is already the history's schema.
            history = (applied_url, applied_schema) if tuple(migrations) == applied else None
            online = config.online_safe if online_safe is None else online_safe
            written = _write_schema_change(config, workspace, migrations, history, source, name, moment, drift, online, loading)
    if create_only:
        if written:
            output.line(f"created {', '.join(m.id for m in written)}; to change it, edit it and run `teamigrate hash`; then `teamigrate dev` applies it")
        else:
            output.line("nothing to create: the migrations already build the schema source")
        return 0

    migrations = checked_out_migrations(config)
    with open_target(config, url) as target, target.table.locked():
        count = apply_pending(target, migrations, head_commit(config.root))
    if count == 0:
        output.line(f"your database is up to date ({output.count(len(migrations), 'migration')} applied)")
    else:
        output.line(f"applied {count} migration{'s' if count != 1 else ''}; your database is up to date")
    return 0


def _start_loading(stack: ExitStack, workspace: Workspace, source: Source) -> LoadingFiles | None:
    try:
        return stack.enter_context(loading_schema_files(workspace, source))
    except TeamigrateError:
        return None  # drafted_schema_change reads them again and reports it


def _settle_drift(workspace: Workspace, applied_url: str, url: str, capture: bool) -> tuple[Plan | None, Schema]:
    """Refuse drift with its explanation; with --capture-drift, the drift to keep as a migration (None: there is none).
    And the applied history's schema."""
    drift, applied_schema = find_drift(workspace, applied_url, url)
    if drift.is_empty:
        if capture:
            output.line("no drift: your database matches its applied migrations")
        return None, applied_schema
    explain_drift(drift)
    if not capture:
        raise drift_error(drift, url)
    return drift, applied_schema


def _write_schema_change(
    config: Config,
    workspace: Workspace,
    migrations: Sequence[Migration],
    history: tuple[str, Schema] | None,
    source: Source,
    name: str | None,
    moment: datetime,
    captured: Plan | None,
    online_safe: bool,
    loading: LoadingFiles | None = None,
) -> tuple[Migration, ...]:
    history_url, history_schema = history if history is not None else (None, None)
    with drafted_schema_change(workspace, migrations, source, history_url, loading, history_schema) as change:
        if change.draft.is_empty:
            return ()
        if captured is not None:
            # --name named the captured migration; and a migration now could undo what was just captured, data and all.
            touched = sorted(set(change.draft.up.changed_objects) & set(captured.changed_objects))
            if touched:
                output.warn(f"{source.text} does not hold the captured change yet ({', '.join(touched)}): add it there, then run `teamigrate dev` (until then dev would write a migration that undoes it)")
            else:
                output.note(f"{source.text} holds the captured change and more: run `teamigrate dev` again to write a migration for the rest")
            return ()
        header = f"Generated by `teamigrate dev` from {source.text}; down.sql reverses it."
        change.write_draft(config, name or _ask_name(source), moment, header, online_safe)
    return change.written


def _ask_name(source: Source) -> str:
    if not output.can_ask():
        raise TeamigrateError(
            "TM403",
            f"{source.text} differs from the migrations, and the new migration needs a name",
            "run `teamigrate dev --name add_something` (dev asks for the name only on a terminal)",
        )
    return output.ask_text(f"{source.text} changed: name of the new migration (e.g. add_email)")

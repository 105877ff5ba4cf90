"""The command line: parse, call one function of the core, map errors to exit codes."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Any, Optional

import typer

from teamigrate import output
from teamigrate.config import Config, load_config
from teamigrate.database import mask_url, masked_traceback
from teamigrate.errors import ConfigError, TeamigrateError

app = typer.Typer(
    name="teamigrate",
    help="Git-integrated, team-first schema migrations for PostgreSQL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
server_app = typer.Typer(help="The embedded PostgreSQL server.", no_args_is_help=True)
hooks_app = typer.Typer(help="Git hooks: pre-commit, post-merge, post-checkout, post-rewrite.", no_args_is_help=True)
app.add_typer(server_app, name="server")
daemon_app = typer.Typer(help="A process that keeps teamigrate loaded, so that the hooks' `check` and `lint` start at once.", no_args_is_help=True)
app.add_typer(hooks_app, name="hooks")
app.add_typer(daemon_app, name="daemon")


class _Globals:
    config_path: Optional[Path] = None
    debug: bool = False


def config() -> Config:
    return load_config(explicit=_Globals.config_path)


def config_or_default() -> Config:
    """The project's config; outside a project, the defaults (for commands that need none)."""
    try:
        return config()
    except ConfigError as err:
        if err.code != "TM101" or _Globals.config_path is not None:
            raise
        return Config(path=Path.cwd() / "teamigrate.yaml")


@app.callback()
def _global_options(
    config_path: Optional[Path] = typer.Option(None, "--config", help="Path to teamigrate.yaml (default: found upward from here; or TEAMIGRATE_CONFIG)."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    _Globals.config_path = config_path
    _Globals.debug = debug or os.environ.get("TEAMIGRATE_DEBUG") == "1"


# --- project ---------------------------------------------------------------


@app.command()
def init(
    example: bool = typer.Option(False, "--example", help="Also write an example schema.sql and the migrations that build it."),
    from_database: Optional[str] = typer.Option(None, "--from-database", help="Baseline: write a first migration from this database and record it as applied there."),
    schema: bool = typer.Option(False, "--schema", help="Set `schema:` in teamigrate.yaml and write the schema file (PATH, default schema.sql) unless it exists; with --from-database it starts as the baseline."),
    schema_path: Optional[str] = typer.Argument(None, metavar="[PATH]", help="With --schema: the schema file (default schema.sql)."),
) -> None:
    """Write teamigrate.yaml, migrations/ and teamigrate.sum in this folder."""
    from teamigrate.commands.init import DEFAULT_SCHEMA, init_project

    # `--schema [PATH]`: typer has no option with an optional value, so PATH is an argument that only --schema takes.
    if schema_path is not None and not schema:
        raise typer.BadParameter(f"{schema_path}: a PATH goes with --schema (`teamigrate init --schema {schema_path}`)")
    chosen = (schema_path or DEFAULT_SCHEMA) if schema else None
    if example and chosen not in (None, DEFAULT_SCHEMA):
        raise typer.BadParameter(f"--example writes {DEFAULT_SCHEMA}; it cannot go with --schema {chosen}")
    init_project(Path.cwd(), example=example, from_database=from_database, schema=chosen)


# --- history: deploy, status, resolve, hash (history/) ----------------------


@app.command()
def deploy(
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would run, in order, with each statement's table locks, rewrites, scans and hazards; write nothing."),
    as_json: bool = typer.Option(False, "--json", help="With --dry-run: print the plan as JSON."),
) -> int:
    """Apply pending migrations: one advisory lock, one transaction each, history recorded."""
    if as_json and not dry_run:
        raise typer.BadParameter("--json prints the plan of --dry-run; a deploy itself prints lines", param_hint="--json")
    from teamigrate.commands.deploy import deploy as deploy_pending

    return deploy_pending(config(), dry_run=dry_run, as_json=as_json)


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print one JSON object (for scripts).")) -> int:
    """Every migration: applied, pending, failed, modified, or missing from this checkout."""
    from teamigrate.commands.status import status as show_status

    return show_status(config(), as_json=as_json)


@app.command()
def resolve(
    applied: Optional[str] = typer.Option(None, "--applied", metavar="ID", help="Record ID as applied without running it (baseline, hotfix)."),
    rolled_back: Optional[str] = typer.Option(None, "--rolled-back", metavar="ID", help="Record failed ID as rolled back, so deploy retries it."),
) -> int:
    """Record a migration as applied or rolled back without running SQL."""
    from teamigrate.commands.resolve import resolve as record_resolution

    return record_resolution(config(), applied=applied, rolled_back=rolled_back)


@app.command("hash")
def hash_() -> int:
    """Rewrite migrations/teamigrate.sum after an intended edit."""
    from teamigrate.commands.hash import rewrite_sum

    return rewrite_sum(config())


# --- schema: diff (schema/) --------------------------------------------------


@app.command()
def diff(
    from_: str = typer.Option(..., "--from", help="Source schema: empty, database, a postgresql:// URL, schema[:PATH], migrations[:PATH], git:REF[:schema|:migrations]."),
    to: str = typer.Option(..., "--to", help="Target schema, same forms as --from."),
    format_: str = typer.Option("sql", "--format", help="sql (default), summary or json."),
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 2 when there are changes."),
    no_verify: bool = typer.Option(False, "--no-verify", help="Skip the proof by replay in the shadow database."),
    include_grants: bool = typer.Option(False, "--include-grants", help="Compare privileges too."),
    online_safe: Optional[bool] = typer.Option(None, "--online-safe/--no-online-safe", help="SQL as the online-safe migrations `new` would write (default: `online_safe` in teamigrate.yaml)."),
) -> int:
    """SQL that turns --from into --to, proven by replay in the shadow database."""
    from teamigrate.commands.diff import diff as run_diff

    if format_ not in ("sql", "summary", "json"):
        raise typer.BadParameter("--format must be sql, summary or json")
    return run_diff(config_or_default(), from_, to, format_=format_, exit_code=exit_code, verify=not no_verify, include_grants=include_grants, online_safe=online_safe)


# --- developer workflow: new, dev, push, reset, seed, rollback, squash --------


@app.command()
def new(
    name: str = typer.Argument(..., help="What the migration does, e.g. add_email (snake_cased into the folder name)."),
    empty: bool = typer.Option(False, "--empty", help="Write an empty migration for hand-written SQL or a data migration."),
    online_safe: Optional[bool] = typer.Option(None, "--online-safe/--no-online-safe", help="Write indexes CONCURRENTLY and constraints NOT VALID + VALIDATE, as migrations of their own (default: `online_safe` in teamigrate.yaml)."),
) -> int:
    """Write a migration from the replayed history to the schema source, with its down.sql; never touches your database."""
    from teamigrate.commands.new import new_migration

    return new_migration(config(), name, empty=empty, online_safe=online_safe)


@app.command()
def dev(
    name: Optional[str] = typer.Option(None, "--name", help="Name of the migration to write when the schema source changed (asked on a terminal); with --capture-drift, of the captured one."),
    create_only: bool = typer.Option(False, "--create-only", help="Write the migration but apply nothing, so it can be edited first."),
    capture_drift: bool = typer.Option(False, "--capture-drift", help="Keep changes made to your database outside migrations as a migration recorded as applied."),
    online_safe: Optional[bool] = typer.Option(None, "--online-safe/--no-online-safe", help="Write indexes CONCURRENTLY and constraints NOT VALID + VALIDATE, as migrations of their own (default: `online_safe` in teamigrate.yaml)."),
) -> int:
    """Check your database for drift, write a migration if the schema source changed, apply what is pending."""
    from teamigrate.commands.dev import dev as run_dev

    return run_dev(config(), name=name, create_only=create_only, capture=capture_drift, online_safe=online_safe)


@app.command()
def push(
    accept_data_loss: bool = typer.Option(False, "--accept-data-loss", help="Run statements that drop data (they are listed otherwise)."),
) -> int:
    """Make your database match the schema source directly, without a migration (prototyping)."""
    from teamigrate.commands.push import push as run_push

    return run_push(config(), accept_data_loss=accept_data_loss)


@app.command()
def reset(
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation (required when stdin is not a terminal)."),
    force: bool = typer.Option(False, "--force", help="Allow a database whose host is not this machine."),
    skip_seed: bool = typer.Option(False, "--skip-seed", help="Do not run the seed afterwards."),
) -> int:
    """Drop everything in your database, apply every migration, run the seed."""
    from teamigrate.commands.reset import reset as run_reset

    return run_reset(config(), force=force, yes=yes, skip_seed=skip_seed)


@app.command()
def seed() -> int:
    """Run the seed from teamigrate.yaml: a .sql file in one transaction, or a shell command given DATABASE_URL."""
    from teamigrate.commands.seed import seed as run_seed

    return run_seed(config())


@app.command()
def rollback(
    steps: Optional[int] = typer.Option(None, "--steps", help="Undo the N newest applied migrations."),
    to: Optional[str] = typer.Option(None, "--to", metavar="ID", help="Undo every migration applied after ID (ID stays applied)."),
) -> int:
    """Undo applied migrations, newest first, with the down.sql recorded when they were applied."""
    from teamigrate.commands.rollback import rollback as run_rollback

    return run_rollback(config(), steps=steps, to=to)


@app.command()
def squash(
    name: str = typer.Option(..., "--name", help="Name of the migration that replaces the range."),
    from_: Optional[str] = typer.Option(None, "--from", metavar="ID", help="First migration of the range (default: the first)."),
    to: Optional[str] = typer.Option(None, "--to", metavar="ID", help="Last migration of the range (default: the last)."),
) -> int:
    """Replace a range of migrations by one; databases that applied the whole range stay valid."""
    from teamigrate.commands.squash import squash as run_squash

    return run_squash(config(), name=name, from_id=from_, to_id=to)


@app.command()
def baseline(
    url: Optional[str] = typer.Option(None, "--url", help="The database to baseline (default: database_url, or the project's embedded database)."),
    from_prisma: bool = typer.Option(False, "--from-prisma", help="Record the migrations Prisma Migrate applied to the database (its _prisma_migrations) as applied, after checking their checksums."),
) -> int:
    """Write the first migration from an existing database's schema and record it as applied there; --from-prisma adopts Prisma Migrate's history instead."""
    from teamigrate.commands.baseline import baseline as run_baseline, baseline_from_prisma

    if from_prisma:
        return baseline_from_prisma(config(), url=url)
    return run_baseline(config(), url=url)


# --- team workflow: check, rebase, sync, changes, hooks (gitflow/) -----------


def _one_of(*choices: str) -> Callable[[str], str]:
    def chosen(value: str) -> str:
        if value not in choices:
            raise typer.BadParameter(f"`{value}` is not one of {', '.join(choices)}")
        return value

    return chosen


@app.command()
def check(
    staged: bool = typer.Option(False, "--staged", help="Check what is being committed (the index), not the work tree."),
    drift: bool = typer.Option(False, "--drift", help="Also compare your database with the replayed history."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Check even when nothing changed since the last success."),
    base: Optional[str] = typer.Option(None, "--base", help="Check order and replay against this ref (a merge queue's tip of main) instead of main_branch."),
    format_: str = typer.Option("text", "--format", help="text, json, github (workflow annotations) or gitlab (Code Quality JSON).",
                                callback=_one_of("text", "json", "github", "gitlab")),
) -> int:
    """The pre-commit gate: sum file, edited or misordered migrations, replay, schema, lint, drift."""
    from teamigrate.commands.check import check as run_check

    return run_check(config(), staged=staged, drift=drift, as_json=as_json, use_cache=not no_cache, base=base, format=format_)


@app.command()
def changes(
    base: Optional[str] = typer.Option(None, "--base", help="One side (default: main_branch, or origin/<main_branch> when the local one is behind it)."),
    head: Optional[str] = typer.Option(None, "--head", help="The other side (default: HEAD)."),
    all_branches: bool = typer.Option(False, "--all-branches", help="Every branch not merged into main against main and each other (a branch and its remote-tracking branch count as one)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    exit_code: bool = typer.Option(False, "--exit-code", help="Exit 2 when there are conflicts."),
    format_: str = typer.Option("text", "--format", help="text, json, or markdown (a pull request comment with a Mermaid diagram of the order).",
                                callback=_one_of("text", "json", "markdown")),
) -> int:
    """Schema changes on each side since the merge base, and the conflicts between them."""
    from teamigrate.commands.changes import changes as run_changes

    return run_changes(config(), base, head, all_branches, as_json=as_json, exit_code=exit_code, format=format_)


@app.command()
def rebase() -> int:
    """Move the migrations not on the main branch yet after those that are, and resolve teamigrate.sum.

    The migrations already on the main branch keep their ids, wherever you stand:
    "the main branch" is origin/<main_branch> unless your local one holds it
    (after `git fetch` the local one is behind). Standing on main while merging a
    branch in, it is main before the merge (the first parent), so the branch's
    migrations move. A squash of migrations on main stays where its range was.
    """
    from teamigrate.commands.rebase import rebase_migrations

    return rebase_migrations(config())


@app.command()
def sync(
    auto: bool = typer.Option(False, "--auto", help="For the post-checkout hook: sync only when auto_sync is true, else say what sync would do."),
    force: bool = typer.Option(False, "--force", help="Keep branch snapshots on a database server that may not be this machine."),
) -> int:
    """Bring the local database to the checked-out history (after pull, merge, checkout); keeps a snapshot of the branch it leaves."""
    from teamigrate.commands.sync import sync_database

    return sync_database(config(), auto=auto, force=force)


snapshots_app = typer.Typer(help="Per-branch snapshots of your database that `sync` keeps across branch switches.", invoke_without_command=True)
app.add_typer(snapshots_app, name="snapshots")


@snapshots_app.callback()
def snapshots(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", help="Allow a database server that may not be this machine."),
) -> int:
    """List the snapshots of your database: branch, migration, size, age."""
    if ctx.invoked_subcommand is not None:
        return 0
    from teamigrate.commands.snapshots import list_snapshots

    return list_snapshots(config(), force=force)


@snapshots_app.command("drop")
def snapshots_drop(
    name: str = typer.Argument(None, help="The snapshot's name, as `teamigrate snapshots` lists it."),
    every: bool = typer.Option(False, "--all", help="Drop every snapshot of your database."),
    force: bool = typer.Option(False, "--force", help="Allow a database server that may not be this machine."),
) -> int:
    """Drop one snapshot, or all of them."""
    from teamigrate.commands.snapshots import drop_snapshots

    return drop_snapshots(config(), name, every, force=force)


@hooks_app.command("install")
def hooks_install(
    force: bool = typer.Option(False, "--force", help="Install into core.hooksPath when it is set."),
) -> int:
    """Install the pre-commit, post-merge, post-checkout and post-rewrite hooks (an existing hook is kept as .legacy; beside the pre-commit framework's, teamigrate's is its .legacy)."""
    from teamigrate.commands.hooks import install_hooks

    return install_hooks(Path.cwd(), force=force)


@hooks_app.command("uninstall")
def hooks_uninstall() -> int:
    """Remove teamigrate's hooks and restore any .legacy hook."""
    from teamigrate.commands.hooks import uninstall_hooks

    return uninstall_hooks(Path.cwd())


# --- lint (lint/) ------------------------------------------------------------


@app.command()
def lint(
    paths: Optional[list[Path]] = typer.Argument(None, help="Migration files or folders (default: the migrations new on this branch)."),
    all_migrations: bool = typer.Option(False, "--all", help="Lint every migration."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as a JSON list."),
) -> int:
    """Dangerous-operation rules (squawk's and teamigrate's) on migration SQL; exit 1 on error-level findings."""
    from teamigrate.commands.lint import lint_command

    return lint_command(paths or [], all_migrations=all_migrations, as_json=as_json, config_path=_Globals.config_path)


# --- the embedded server ---------------------------------------------------


@server_app.command("status")
def server_status() -> None:
    """Say whether the embedded server and each shadow_pg_bin cluster run, where, and which version."""
    from teamigrate.commands import server

    server.status()


@server_app.command("start")
def server_start() -> None:
    """Start the embedded server now (commands start it on first use anyway)."""
    from teamigrate.commands import server

    server.start()


@server_app.command("clear")
def server_clear() -> None:
    """Drop the replay cache's template databases and empty the schema store (both are built again on use)."""
    from teamigrate.commands import server

    server.clear(config_or_default())


@server_app.command("repair")
def server_repair(
    yes: bool = typer.Option(False, "--yes", "-y", help="Rebuild without asking if recovery fails (needed when stdin is not a terminal)."),
) -> None:
    """Bring back an embedded server that does not start: recover it keeping its data, else rebuild it after asking."""
    from teamigrate.commands import server

    server.repair(yes=yes)


@server_app.command("stop")
def server_stop() -> None:
    """Stop the embedded server and every shadow_pg_bin cluster (they start again on next use)."""
    from teamigrate.commands import server

    server.stop()


@daemon_app.command("start")
def daemon_start(
    idle_minutes: float = typer.Option(180, "--idle-minutes", min=0.01, help="Stop after this many minutes without a command."),
) -> None:
    """Start the daemon: `check` and `lint` then skip Python's startup and imports (about 0.3 s each)."""
    from teamigrate.commands import daemon

    daemon.start(idle_minutes)


@daemon_app.command("stop")
def daemon_stop() -> None:
    """Stop the daemon (commands then run on their own, as before)."""
    from teamigrate.commands import daemon

    daemon.stop()


@daemon_app.command("status")
def daemon_status() -> None:
    """Say whether the daemon runs, and how many commands it has run."""
    from teamigrate.commands import daemon

    daemon.status()


# --- entry point -----------------------------------------------------------


@functools.cache
def command() -> Callable[..., Any]:
    """The click command typer builds from `app` (12 ms): built once, so that the daemon builds it before it forks."""
    return typer.main.get_command(app)


def main(argv: Optional[list[str]] = None) -> None:
    run(lambda: command()(args=argv, standalone_mode=False, prog_name="teamigrate"))


def run(call: Callable[[], Any], debug: bool = False) -> None:
    """Exit with what `call` returns, or with the code and report every command gives its failure (launch's typer-free deploy too)."""
    _Globals.debug = _Globals.debug or debug
    try:
        result = call()
    except TeamigrateError as err:
        output.error(err)
        _debug_traceback()
        sys.exit(1)
    except KeyboardInterrupt:
        output.note("interrupted")
        sys.exit(130)
    except typer.Exit as exit_:
        sys.exit(exit_.exit_code)
    except typer.Abort:
        output.note("aborted")
        sys.exit(130)
    except _usage_error() as exc:  # usage errors: exit 2, like every CLI parser
        exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except BrokenPipeError:
        # `teamigrate deploy | head`: the reader left. Ended quietly with exit 1, as click ends the typer
        # commands then, with stdout pointed at /dev/null so that the exit's flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except Exception as exc:  # a bug of ours: one line, the traceback only with --debug
        output.error(TeamigrateError("TM100", mask_url(f"{type(exc).__name__}: {exc}"), "run again with --debug and report the traceback"))
        _debug_traceback()
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


def _usage_error() -> type[Exception]:
    try:  # recent typer vendors click
        from typer._click.exceptions import ClickException
    except ImportError:
        from click.exceptions import ClickException  # type: ignore[no-redef]
    return ClickException


def _debug_traceback() -> None:
    if _Globals.debug or "--debug" in sys.argv:
        # Exception messages and the DSNs in them repeat passwords: the traceback goes through the same mask as messages.
        sys.stderr.write(masked_traceback())
        sys.stderr.flush()

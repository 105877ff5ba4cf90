"""`teamigrate push`: make the developer's database match the schema source directly, with no migration (prototyping)."""

from __future__ import annotations

import psycopg

from teamigrate import output
from teamigrate.config import Config
from teamigrate.database import connect, mask_url
from teamigrate.workspace.drafting import hazard_lines
from teamigrate.commands.new import schema_source
from teamigrate.errors import DatabaseError, TeamigrateError
from teamigrate.schema.diff import diff_schemas
from teamigrate.schema.plan import Plan
from teamigrate.server.extensions import build_serving, missing_extension, unavailable
from teamigrate.workspace.proof import prove_plan
from teamigrate.workspace.schemas import Workspace
from teamigrate.workspace.project import development_database_url


def push(config: Config, *, accept_data_loss: bool = False) -> int:
    source = schema_source(config, "push")
    url = development_database_url(config)
    workspace = Workspace.for_config(config, user_database_url=url)
    with workspace.database(source) as wanted_url:
        wanted = workspace.introspect(wanted_url)
    plan = diff_schemas(workspace.introspect(url), wanted)
    if plan.is_empty:
        output.line(f"{mask_url(url)} already matches {source.text}")
        return 0
    losses = plan.data_loss_statements
    if losses and not accept_data_loss:
        output.note(f"these statements drop data in {mask_url(url)}:")
        for statement in losses:
            output.note(f"  {statement.sql.strip()};")
        raise TeamigrateError(
            "TM405",
            f"`push` would drop data with {len(losses)} statement{'s' if len(losses) != 1 else ''} (listed above); nothing was changed",
            "run `teamigrate push --accept-data-loss` to drop it, or change schema.sql so that it keeps the data",
        )
    prove_plan(workspace, url, plan, wanted)
    run_plan(url, plan)
    for hazard in hazard_lines(plan):
        output.warn(f"hazard: {hazard}")
    output.line(f"pushed {source.text} to {mask_url(url)}: {len(plan.statements)} statement{'s' if len(plan.statements) != 1 else ''}, no migration written")
    output.line("when the design settles, `teamigrate dev --capture-drift` turns it into a migration (or `teamigrate reset` discards it)")
    return 0


def run_plan(url: str, plan: Plan) -> None:
    """Run the plan in one transaction, or statement by statement when some statement cannot run in one."""
    with connect(url) as conn:
        number = 0
        try:
            if plan.transactional:
                with conn.transaction():
                    for number, statement in enumerate(plan.statements, start=1):
                        conn.execute(statement.sql.encode())
            else:
                for number, statement in enumerate(plan.statements, start=1):
                    conn.execute(statement.sql.encode())
        except psycopg.Error as exc:
            kept = "nothing was changed" if plan.transactional else f"the {number - 1} statements before it were applied"
            extension = missing_extension(exc)
            if extension is not None:
                server, hint = unavailable(extension, build_serving(conn), shadow=False)
                raise DatabaseError("TM129", f"statement {number} needs extension `{extension}`, {server}; {kept}", hint) from None
            raise DatabaseError(
                "TM118",
                f"statement {number} failed on {mask_url(url)}: {mask_url((exc.diag.message_primary or str(exc)).strip())}; {kept}",
                "the data in the database does not fit the new schema: change the data or schema.sql and push again",
            ) from None

"""`teamigrate diff`: build both sources in the shadow, diff them, prove the result by replay, print SQL, a summary or JSON."""

from __future__ import annotations

from teamigrate import output
from teamigrate.config import Config
from teamigrate.schema.diff import Plan, diff_schemas
from teamigrate.schema.summary import plan_to_json, render_summary
from teamigrate.workspace.drafting import NO_TRANSACTION
from teamigrate.workspace.proof import prove_plan
from teamigrate.workspace.schemas import Workspace
from teamigrate.workspace.sources import parse_source


def compare_sources(config: Config, from_text: str, to_text: str, *, verify: bool = True, include_grants: bool = False) -> Plan:
    source, target = parse_source(from_text, config), parse_source(to_text, config)
    user_urls = [s.url for s in (source, target) if s.kind == "url" and s.url]
    workspace = Workspace.for_config(config, user_database_url=user_urls[0] if user_urls else None)
    with workspace.database(source) as source_url, workspace.database(target) as target_url:
        source_schema, target_schema = workspace.introspect_all([source_url, target_url])
        unmanaged = sorted(set(source_schema.unmanaged) | set(target_schema.unmanaged))
        if unmanaged:
            # Present, but outside what the differ compares: say so rather than stay silent.
            output.note(f"not compared (teamigrate does not manage them; hand-write them in a `new --empty` migration): {', '.join(unmanaged)}")
        plan = diff_schemas(source_schema, target_schema, include_grants=include_grants)
        if verify:
            prove_plan(workspace, source_url, plan, target_schema, include_grants=include_grants, source=source_schema, target_url=target_url)
    return plan


def diff(config: Config, from_text: str, to_text: str, *, format_: str = "sql", exit_code: bool = False, verify: bool = True, include_grants: bool = False) -> int:
    plan = compare_sources(config, from_text, to_text, verify=verify, include_grants=include_grants)
    if format_ == "json":
        output.json_document(plan_to_json(plan))
    elif format_ == "summary":
        output.raw(render_summary(plan) if not plan.is_empty else "")
        if plan.is_empty:
            output.note("no changes")
    else:
        # A plan that cannot run in one transaction says so the way a migration file does, so the file made from
        # this output deploys as the proof ran it (workspace.proof: statement by statement).
        output.raw((NO_TRANSACTION + "\n" if not plan.transactional else "") + plan.to_sql())
        if plan.is_empty:
            output.note("-- no changes")
    return 2 if exit_code and not plan.is_empty else 0

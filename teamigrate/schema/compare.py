"""The `diff` verb: build both sources in the shadow, diff them, prove the result by replay."""

from __future__ import annotations

from teamigrate import output
from teamigrate.config import Config
from teamigrate.schema.diff import Plan, diff_schemas
from teamigrate.schema.proof import prove_plan
from teamigrate.schema.sources import SchemaWorkspace, parse_source
from teamigrate.shadow import ShadowServer


def compare_sources(config: Config, from_text: str, to_text: str, *, verify: bool = True, include_grants: bool = False) -> Plan:
    source, target = parse_source(from_text, config), parse_source(to_text, config)
    user_urls = [s.url for s in (source, target) if s.kind == "url" and s.url]
    shadow = ShadowServer.for_config(config, user_database_url=user_urls[0] if user_urls else None)
    workspace = SchemaWorkspace(config, shadow)
    with workspace.database(source) as source_url, workspace.database(target) as target_url:
        source_schema, target_schema = workspace.introspect_all([source_url, target_url])
        unmanaged = sorted(set(source_schema.unmanaged) | set(target_schema.unmanaged))
        if unmanaged:
            # Present, but outside what the differ compares: say so rather than stay silent.
            output.note(f"not compared (teamigrate does not manage them; hand-write them in a `new --empty` migration): {', '.join(unmanaged)}")
        plan = diff_schemas(source_schema, target_schema, include_grants=include_grants)
        if verify:
            prove_plan(workspace, source_url, plan, target_schema, include_grants=include_grants)
    return plan

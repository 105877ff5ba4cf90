"""User-defined types: enums, domains and composite types."""

from __future__ import annotations

from teamigrate.schema import ddl
from teamigrate.schema.diff.comments import alter_comment
from teamigrate.schema.diff.draft import POST, PRE, PlanDraft
from teamigrate.schema.diff.objects import subject
from teamigrate.schema.model import CompositeType, Domain, Enum, Key
from teamigrate.schema.plan import Hazard
from teamigrate.schema.quoting import quote_literal


def create_type(draft: PlanDraft, key: Key, made: Enum | Domain | CompositeType) -> None:
    draft.emit(POST, key, ddl.create_type(made))
    if isinstance(made, Domain):
        for check in made.checks:
            if check.comment is not None:
                draft.emit(POST, key, ddl.comment_statement(ddl.domain_check_reference(made, check.name), check.comment))


def alter_enum(draft: PlanDraft, key: Key, old: Enum, new: Enum) -> list[str]:
    details = []
    for position, label in enumerate(new.labels):
        if label in old.labels:
            continue
        if position > 0:
            sql = ddl.add_enum_value(new, label, after=new.labels[position - 1])
        elif old.labels:
            sql = ddl.add_enum_value(new, label, before=old.labels[0])
        else:
            sql = ddl.add_enum_value(new, label)
        # A value added in a transaction cannot be used before that transaction commits.
        draft.emit(POST, key, sql, transactional=False)
        details.append(f"add value {quote_literal(label)}")
    return details + alter_comment(draft, key, old, new)


def alter_domain(draft: PlanDraft, key: Key, old: Domain, new: Domain) -> list[str]:
    details = []
    if old.default != new.default:
        draft.emit(POST, key, ddl.alter_domain_default(new))
        details.append(f"default {old.default or 'none'} -> {new.default or 'none'}")
    if old.not_null != new.not_null:
        if new.not_null:
            draft.emit(POST, key, ddl.alter_domain_not_null(new), [Hazard.MAY_FAIL], subject(new))
        else:
            draft.emit(POST, key, ddl.alter_domain_not_null(new))
        details.append("not null" if new.not_null else "nullable")
    old_checks = {c.name: c for c in old.checks}
    new_checks = {c.name: c for c in new.checks}
    for check_name, check in old_checks.items():
        if check_name not in new_checks or new_checks[check_name].definition != check.definition:
            draft.emit(PRE, key, ddl.drop_domain_check(new, check_name))
            details.append(f"drop check {check_name}")
    for check_name, check in new_checks.items():
        previous = old_checks.get(check_name)
        if previous is None or previous.definition != check.definition:
            draft.emit(POST, key, ddl.add_domain_check(new, check), [Hazard.MAY_FAIL], subject(new))
            details.append(f"add check {check_name}")
        if (previous.comment if previous is not None else None) != check.comment:
            draft.emit(POST, key, ddl.comment_statement(ddl.domain_check_reference(new, check_name), check.comment))
    return details + alter_comment(draft, key, old, new)

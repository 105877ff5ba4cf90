"""DDL for user-defined types: enums, domains and composite types; and collations."""

from __future__ import annotations

from teamigrate.schema.model import Collation, CompositeType, Domain, DomainCheck, Enum
from teamigrate.schema.quoting import quote_ident, quote_literal


def create_type(made: Enum | Domain | CompositeType) -> str:
    if isinstance(made, Enum):
        return f"CREATE TYPE {made.display} AS ENUM ({', '.join(quote_literal(label) for label in made.labels)})"
    if isinstance(made, Domain):
        text = f"CREATE DOMAIN {made.display} AS {made.base_type}"
        if made.collation:
            text += f" COLLATE {made.collation}"
        if made.default is not None:
            text += f" DEFAULT {made.default}"
        if made.not_null:
            text += " NOT NULL"
        for check in made.checks:
            text += f" CONSTRAINT {quote_ident(check.name)} {check.definition}"
        return text
    attributes = ", ".join(
        f"{quote_ident(a.name)} {a.type}" + (f" COLLATE {a.collation}" if a.collation else "") for a in made.attributes
    )
    return f"CREATE TYPE {made.display} AS ({attributes})"


def rename_type(made: Enum | Domain | CompositeType, name: str) -> str:
    return f"ALTER TYPE {made.display} RENAME TO {quote_ident(name)}"


def add_enum_value(enum: Enum, label: str, *, after: str | None = None, before: str | None = None) -> str:
    if after is not None:
        where = f" AFTER {quote_literal(after)}"
    elif before is not None:
        where = f" BEFORE {quote_literal(before)}"
    else:
        where = ""
    return f"ALTER TYPE {enum.display} ADD VALUE {quote_literal(label)}{where}"


def alter_domain_default(domain: Domain) -> str:
    """SET DEFAULT or DROP DEFAULT, whichever the domain has."""
    return f"ALTER DOMAIN {domain.display} " + (f"SET DEFAULT {domain.default}" if domain.default is not None else "DROP DEFAULT")


def alter_domain_not_null(domain: Domain) -> str:
    """SET NOT NULL or DROP NOT NULL, whichever the domain has."""
    return f"ALTER DOMAIN {domain.display} {'SET' if domain.not_null else 'DROP'} NOT NULL"


def add_domain_check(domain: Domain, check: DomainCheck) -> str:
    return f"ALTER DOMAIN {domain.display} ADD CONSTRAINT {quote_ident(check.name)} {check.definition}"


def drop_domain_check(domain: Domain, check: str) -> str:
    return f"ALTER DOMAIN {domain.display} DROP CONSTRAINT {quote_ident(check)}"


_PROVIDERS = {"c": "libc", "i": "icu", "b": "builtin"}


def create_collation(collation: Collation) -> str:
    """As pg_dump writes it: one `locale` where LC_COLLATE and LC_CTYPE agree, no version."""
    options = [f"provider = {_PROVIDERS.get(collation.provider, collation.provider)}"]
    if collation.provider == "c" and collation.lc_collate != collation.lc_ctype:
        options += [f"lc_collate = {quote_literal(collation.lc_collate or '')}", f"lc_ctype = {quote_literal(collation.lc_ctype or '')}"]
    else:
        locale = collation.lc_collate if collation.provider == "c" else collation.locale
        options.append(f"locale = {quote_literal(locale or '')}")
    if collation.rules:
        options.append(f"rules = {quote_literal(collation.rules)}")
    if not collation.deterministic:
        options.append("deterministic = false")
    return f"CREATE COLLATION {collation.display} ({', '.join(options)})"

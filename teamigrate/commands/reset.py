"""`teamigrate reset`: drop everything in the developer's database, apply every migration, run the seed."""

from __future__ import annotations

import psycopg
from psycopg import sql

from teamigrate import output
from teamigrate.config import Config
from teamigrate.commands.seed import run_seed
from teamigrate.database import display_dsn, nonlocal_endpoints
from teamigrate.errors import TeamigrateError
from teamigrate.git import head_commit
from teamigrate.workspace.project import checked_out_migrations, open_target
from teamigrate.commands.deploy import apply_pending
from teamigrate.workspace.project import development_database_url

# Schemas PostgreSQL owns; everything else in the database is the project's to drop.
_USER_SCHEMAS = """
SELECT nspname FROM pg_namespace
WHERE nspname NOT IN ('pg_catalog', 'information_schema')
  AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'
ORDER BY nspname
"""
_PUBLIC_SCHEMA = """
SELECT pg_get_userbyid(n.nspowner), obj_description(n.oid, 'pg_namespace'),
       coalesce((SELECT array_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END || ' ' || a.privilege_type
                                  ORDER BY a.grantee, a.privilege_type)
                 FROM aclexplode(n.nspacl) a WHERE a.grantee <> n.nspowner), '{}')
FROM pg_namespace n WHERE n.nspname = 'public'
"""


def reset(config: Config, *, force: bool = False, yes: bool = False, skip_seed: bool = False) -> int:
    migrations = checked_out_migrations(config)
    url = development_database_url(config)
    shown = display_dsn(url)
    # Decided from the DSN and the PG* environment alone: reaching the host to ask would already be a connection.
    remote = nonlocal_endpoints(url)
    if remote and not force:
        raise TeamigrateError(
            "TM406",
            f"`reset` drops everything in {shown}, and it connects to {' and '.join(remote)}, which may not be this machine",
            "point database_url at your local database (a Unix socket, localhost or 127.0.0.1, no service); pass --force only if you really mean to wipe that one",
        )
    if not yes:
        if not output.can_ask():
            raise TeamigrateError("TM407", f"`reset` would drop everything in {shown} and needs confirming", "pass --yes to confirm (stdin is not a terminal, so reset cannot ask); nothing was dropped")
        if not output.confirm(f"Drop every schema in {shown} and rebuild it from {output.count(len(migrations), 'migration')}?"):
            raise TeamigrateError("TM407", "`reset` was not confirmed; nothing was dropped", "run it again and answer y, or pass --yes")
    with open_target(config, url) as target, target.table.locked():
        dropped = drop_everything(target.conn)
        output.line(f"dropped {len(dropped)} schema{'s' if len(dropped) != 1 else ''} in {shown}: {', '.join(dropped) or 'none'}")
        count = apply_pending(target, migrations, head_commit(config.root))
    output.line(f"applied {count} migration{'s' if count != 1 else ''}")
    if skip_seed:
        output.line("seed skipped (--skip-seed)")
    elif config.seed:
        run_seed(config, url)
    else:
        output.note("no seed configured (set `seed:` in teamigrate.yaml to load data after a reset)")
    return 0


def drop_everything(conn: psycopg.Connection) -> list[str]:
    """Drop every non-system schema in one transaction; `public` comes back empty with its owner, grants and comment."""
    with conn.transaction():
        schemas = [name for (name,) in conn.execute(_USER_SCHEMAS)]
        public = conn.execute(_PUBLIC_SCHEMA).fetchone()
        for name in schemas:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
        if public is not None:
            owner, comment, grants = public
            conn.execute("CREATE SCHEMA public")
            conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner)))
            for grant in grants:
                grantee, privilege = grant.rsplit(" ", 1)
                role = sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)
                conn.execute(sql.SQL("GRANT {} ON SCHEMA public TO {}").format(sql.SQL(privilege), role))
            if comment is not None:
                conn.execute(sql.SQL("COMMENT ON SCHEMA public IS {}").format(sql.Literal(comment)))
    return schemas

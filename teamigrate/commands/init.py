"""`teamigrate init`: a new project's teamigrate.yaml, migrations/ and teamigrate.sum (and, with --example, a schema to start from)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from teamigrate import output
from teamigrate.commands.baseline import already_baselined, draft_baseline, record_baseline
from teamigrate.config import CONFIG_NAME, Config
from teamigrate.database import mask_url
from teamigrate.errors import ConfigError
from teamigrate.history.migrations import DOWN_FILE, MIGRATION_FILE, Migration, MigrationDirectory, new_migration_id
from teamigrate.history.folders import add_migration
from teamigrate.history.sumfile import SumFile, write_atomically
from teamigrate.workspace.project import migration_directory

STATE_FOLDER = ".teamigrate/"

# Lines of the form `# key: value` are settings that work when uncommented as they stand.
CONFIG_TEMPLATE = """\
# teamigrate.yaml: settings of teamigrate for this project.
# Values may use ${{VAR}} and ${{VAR:-default}}; they are read from the environment.

# Your own development database. Left empty, teamigrate uses a database for
# this project on the PostgreSQL server it runs by itself (no install needed).
# CI and production set DATABASE_URL.
database_url: ${{DATABASE_URL:-}}

# The server where teamigrate replays history in throwaway databases. Left
# empty, the embedded server. Never your own database.
shadow_database_url: ${{SHADOW_DATABASE_URL:-}}

# A PostgreSQL bin/ folder to run the shadow server from, so that it has the
# major version of production.
# shadow_pg_bin: /usr/lib/postgresql/15/bin

# A PostgreSQL bin/ folder for both servers teamigrate runs: the shadow and,
# with database_url empty, your development database. For extensions the
# embedded server lacks (pgcrypto, uuid-ossp, PostGIS) that this one has.
# pg_bin: /usr/lib/postgresql/15/bin

# The desired schema (a .sql file or a folder of them) that `teamigrate dev`
# generates migrations from. Leave it out when you write migrations by hand.
{schema_line}

# The migrations folder: one folder per migration, and teamigrate.sum.
migrations: migrations

# The branch whose migrations count as merged (checks refuse to order a new
# migration before them).
main_branch: main

# Data to load after `teamigrate reset`: a .sql file or a shell command.
# seed: seed.sql

# Where teamigrate records applied migrations, as schema.table.
history_table: public.teamigrate_history

# Set to true for the post-checkout and post-merge hooks to run `teamigrate
# sync` by themselves.
auto_sync: false

# Set to true for `new` and `dev` to write what does not block a busy table:
# CREATE INDEX CONCURRENTLY, constraints NOT VALID then validated, SET NOT NULL
# through a validated check, as migrations of their own (`--online-safe` or
# `--no-online-safe` decides for one run).
online_safe: false

# Lint rules on migration SQL: turn rules off, or choose their level
# (error, warning, info or off).
lint:
  disable: []
  # levels: {{ban-drop-column: error, adding-not-nullable-field: warning}}

# How a migration waits for its locks (deploy, dev, reset): it gives up after
# lock_timeout, so that queries queued behind it go on, and is tried again
# with backoff up to `retries` more times. statement_timeout caps each
# statement (null: none). A migration may set its own with a first-lines
# `-- teamigrate: lock-timeout 30s` or `-- teamigrate: statement-timeout 10min`.
deploy:
  lock_timeout: 5s
  retries: 5
  # statement_timeout: 10min

# When `sync` rolls back the migrations of the branch you leave, it first keeps
# a copy of your database under that branch's name and brings it back when you
# return (`teamigrate snapshots` lists them). At most `keep` copies (0: none)
# of at most `max_size` together; the least recently used go first.
snapshots:
  keep: 5
  max_size: 2GB
"""

# (name, migration.sql, down.sql) of the example shop.
EXAMPLE_MIGRATIONS: tuple[tuple[str, str, str], ...] = (
    (
        "init",
        """\
CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled');

CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku text NOT NULL UNIQUE,
    title text NOT NULL,
    price_cents integer NOT NULL CHECK (price_cents >= 0)
);
""",
        """\
DROP TABLE products;
DROP TABLE customers;
DROP TYPE order_status;
""",
    ),
    (
        "add_orders",
        """\
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    status order_status NOT NULL DEFAULT 'pending',
    placed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX orders_customer_id_idx ON orders (customer_id);

CREATE TABLE order_items (
    order_id bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id bigint NOT NULL REFERENCES products (id),
    quantity integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);
""",
        """\
DROP TABLE order_items;
DROP TABLE orders;
""",
    ),
    (
        "add_order_totals_view",
        """\
CREATE VIEW order_totals AS
SELECT o.id AS order_id, o.customer_id, sum(i.quantity * p.price_cents) AS total_cents
FROM orders o
JOIN order_items i ON i.order_id = o.id
JOIN products p ON p.id = i.product_id
GROUP BY o.id, o.customer_id;
""",
        """\
DROP VIEW order_totals;
""",
    ),
)


# The example's schema.sql is its migrations put together, so the two cannot drift apart.
EXAMPLE_SCHEMA = "-- The desired schema of the example shop. Edit it, then run `teamigrate dev`.\n\n" + "\n".join(
    sql for _, sql, _ in EXAMPLE_MIGRATIONS
)


# What `init --schema` writes into a schema file it makes; comments alone load as an empty schema.
SCHEMA_STARTER = """\
-- The desired schema of this project, as plain PostgreSQL DDL (CREATE TABLE,
-- CREATE INDEX, ...). Edit it, then run `teamigrate dev`: it writes the
-- migration from the change and applies it to your database.
"""
DEFAULT_SCHEMA = "schema.sql"


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    data: bytes


def config_text(schema: str | None) -> str:
    schema_line = f"schema: {_yaml_scalar(schema)}" if schema else "# schema: schema.sql"
    return CONFIG_TEMPLATE.format(schema_line=schema_line)


def _yaml_scalar(text: str) -> str:
    # A path of ordinary characters as it is; anything else double-quoted (JSON's strings are YAML's).
    return text if re.fullmatch(r"[A-Za-z0-9_./-]+", text) else json.dumps(text)


def schema_setting(root: Path, path: str) -> str:
    """`init --schema PATH` as teamigrate.yaml names it: relative to the project when it is inside it."""
    given = Path(path)
    if given.is_absolute():
        try:
            return given.relative_to(root.resolve()).as_posix()
        except ValueError:
            return given.as_posix()
    return given.as_posix()


def example_migrations(now: datetime) -> tuple[Migration, ...]:
    ids: list[str] = []
    migrations = []
    for name, sql, down in EXAMPLE_MIGRATIONS:
        ids.append(new_migration_id(name, now, ids))
        migrations.append(Migration(ids[-1], sql, down))
    return tuple(migrations)


def init_project(root: Path, example: bool = False, from_database: str | None = None, now: datetime | None = None,
                 schema: str | None = None) -> int:
    """`schema`: the schema file to set up (`init --schema [PATH]`), written with a comment unless it exists."""
    if schema is not None:
        schema = schema_setting(root, schema)
    if from_database is not None:
        return baseline_new_project(root, from_database, now or datetime.now(), schema)
    files = with_history_schema(root, plan_init(root, example, now or datetime.now(), schema), schema)
    # Nothing is written until everything is known to be writable; the config comes
    # last so that an interrupted init can simply be run again.
    (root / "migrations").mkdir(exist_ok=True)
    for planned in files:
        write_atomically(planned.path, planned.data)
    for planned in files:
        output.line(f"wrote {os.path.relpath(planned.path, root)}")
    existing = () if example else MigrationDirectory(root / "migrations", "migrations").migrations()
    if example:
        output.line("next: `teamigrate dev` (applies the migrations to your database), then `teamigrate status`")
    elif existing:
        _next_for_existing_migrations(root, len(existing))
    elif schema is not None:
        output.line(f"next: describe your schema in {schema} and run `teamigrate dev`")
    else:
        output.line("next: describe your schema in schema.sql (and set `schema:`) and run `teamigrate dev`, or write migrations with `teamigrate new --empty NAME`")
    return 0


def _next_for_existing_migrations(root: Path, count: int) -> None:
    """An existing history (often a Prisma project's): databases have applied some of it, so the next step is theirs, not a schema's."""
    lock = " (Prisma's migration_lock.toml there is ignored)" if (root / "migrations" / "migration_lock.toml").exists() else ""
    output.line(f"found {output.count(count, 'migration')} in migrations/{lock}")
    output.line("next: `teamigrate status` shows which of them your database has applied, and `teamigrate deploy` applies the rest;")
    output.line("      on a database Prisma Migrate managed (it has _prisma_migrations), run `teamigrate baseline --from-prisma` first")


def with_history_schema(root: Path, files: list[PlannedFile], schema: str | None) -> list[PlannedFile]:
    """The schema file init makes, beside migrations that build a schema already (a Prisma project's), starts as that schema.

    Empty, it would say the project wants no tables: `dev` and `new` would
    write a migration that drops everything the history builds.
    """
    directory = MigrationDirectory(root / "migrations", "migrations")
    if schema is None or not any(planned.path == root / schema for planned in files) or not (directory.exists() and directory.migrations()):
        return files
    from teamigrate.commands.diff import compare_sources

    built = compare_sources(Config(path=root / CONFIG_NAME, migrations=directory.path), "empty", "migrations").to_sql()
    return [PlannedFile(planned.path, planned.data + b"\n" + built.encode()) if planned.path == root / schema else planned for planned in files]


def plan_init(root: Path, example: bool, now: datetime, schema: str | None = None) -> list[PlannedFile]:
    """Every file init writes, in order; refuses (TM106) before anything is written.

    `schema` (`init --schema`) is set up uncommented in teamigrate.yaml, and
    written with a comment unless it exists already (a file or a folder of them).
    """
    config_path = root / CONFIG_NAME
    if config_path.exists():
        raise ConfigError("TM106", f"{config_path} already exists", "this folder is already a teamigrate project; edit teamigrate.yaml instead")
    directory = MigrationDirectory(root / "migrations", "migrations")
    existing = directory.migrations() if directory.exists() else ()
    files: list[PlannedFile] = []
    if example:
        for taken in (root / "schema.sql", directory.sum_path):
            if taken.exists():
                raise ConfigError("TM106", f"{taken} already exists; --example would overwrite it", "run `teamigrate init` without --example")
        if existing:
            raise ConfigError("TM106", f"{directory.path} already holds migrations; --example would mix with them", "run `teamigrate init` without --example")
        migrations = example_migrations(now)
        files.append(PlannedFile(root / "schema.sql", EXAMPLE_SCHEMA.encode()))
        for migration in migrations:
            folder = directory.folder(migration.id)
            files.append(PlannedFile(folder / MIGRATION_FILE, migration.sql_bytes))
            files.append(PlannedFile(folder / DOWN_FILE, (migration.down_sql or "").encode()))
        files.append(PlannedFile(directory.sum_path, SumFile.compute(migrations).render().encode()))
    elif not directory.sum_path.exists():
        # An existing (e.g. Prisma) migrations folder gets the sum of what it holds.
        files.append(PlannedFile(directory.sum_path, SumFile.compute(existing).render().encode()))
    if schema is not None and not example and not (root / schema).exists():
        files.append(PlannedFile(root / schema, SCHEMA_STARTER.encode()))
    gitignore = _gitignore_with_state_folder(root / ".gitignore")
    if gitignore is not None:
        files.append(PlannedFile(root / ".gitignore", gitignore))
    files.append(PlannedFile(config_path, config_text(DEFAULT_SCHEMA if example else schema).encode()))
    return files


def _gitignore_with_state_folder(path: Path) -> bytes | None:
    """.gitignore with `.teamigrate/` added; None when it is there already."""
    current = path.read_bytes() if path.exists() else b""
    entries = {line.strip().rstrip("/").lstrip("/") for line in current.decode("utf-8", errors="replace").splitlines()}
    if STATE_FOLDER.rstrip("/") in entries:
        return None
    separator = b"" if not current or current.endswith(b"\n") else b"\n"
    return current + separator + b"# teamigrate's local caches\n" + STATE_FOLDER.encode() + b"\n"


def baseline_new_project(root: Path, url: str, now: datetime, schema: str | None = None) -> int:
    """`teamigrate init --from-database URL`: init's files plus the baseline, recorded as applied there.

    With `schema` (`--schema`), a schema file init makes starts as the
    baseline's SQL: the schema the history builds, so `check` agrees at once.
    """
    files = plan_init(root, False, now, schema)  # refuses an existing project before anything is written
    config = Config(path=root / CONFIG_NAME, migrations=root / "migrations")
    directory = migration_directory(config)
    if directory.exists() and directory.migrations():
        raise already_baselined(f"{directory.label} already holds migrations")
    migration = draft_baseline(config, url, now)
    directory.path.mkdir(exist_ok=True)
    if migration is not None:
        add_migration(directory, (), migration)
    for planned in files:
        if schema is not None and planned.path == root / schema and migration is not None:
            planned = PlannedFile(planned.path, planned.data + b"\n" + migration.sql_bytes)
        if planned.path != directory.sum_path or migration is None:
            write_atomically(planned.path, planned.data)
        output.line(f"wrote {os.path.relpath(planned.path, root)}")
    if migration is None:
        output.line(f"{mask_url(url)} holds no schema objects: nothing to baseline")
        return 0
    output.line(f"wrote {directory.label}/{migration.id}/{MIGRATION_FILE} from {mask_url(url)}")
    record_baseline(config, url, migration)
    output.line("next: set DATABASE_URL to that database (teamigrate.yaml reads it), then `teamigrate status`")
    return 0

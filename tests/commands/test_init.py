"""`teamigrate init`: the files it writes, the config it documents, refusal on re-init, the example project."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import psycopg

from teamigrate.config import DEFAULTS, parse_config
from teamigrate.history.apply import replay
from teamigrate.history.migrations import MigrationDirectory
from teamigrate.history.sumfile import verify
from teamigrate.commands.init import config_text
from teamigrate.server.cluster import embedded_bin_dir
from tests.conftest import run_cli

COMMENTED_KEY = re.compile(r"^(\s*)# ([a-z_]+):( .*)?$")


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_init_writes_config_migrations_and_an_empty_sum(tmp_path: Path) -> None:
    result = run_cli(["init"], tmp_path)
    assert result.returncode == 0, result.stderr
    config = (tmp_path / "teamigrate.yaml").read_text()
    assert "database_url: ${DATABASE_URL:-}" in config.splitlines()
    assert (tmp_path / "migrations").is_dir()
    sum_text = (tmp_path / "migrations/teamigrate.sum").read_text()
    assert verify([], sum_text).lines == ()
    assert (tmp_path / ".gitignore").read_text().splitlines().count(".teamigrate/") == 1
    loaded = parse_config(config, tmp_path / "teamigrate.yaml")
    assert loaded.migrations == tmp_path / "migrations" and loaded.schema is None


def test_every_key_is_documented_and_every_commented_key_loads_uncommented(tmp_path: Path) -> None:
    text = config_text(None)
    written_keys = {m.group(1) for m in re.finditer(r"^\s*#? ?([a-z_]+):", text, re.MULTILINE)}
    assert set(DEFAULTS) <= written_keys
    commented = [i for i, line in enumerate(text.splitlines()) if COMMENTED_KEY.match(line)]
    assert len(commented) >= 3  # shadow_pg_bin, schema, seed, lint levels
    for index in commented:
        lines = text.splitlines()
        match = COMMENTED_KEY.match(lines[index])
        assert match is not None
        lines[index] = match.group(1) + lines[index].split("# ", 1)[1]
        config = parse_config("\n".join(lines) + "\n", tmp_path / "teamigrate.yaml")
        key = match.group(2)
        nested = {"levels": config.lint.levels, "statement_timeout": config.deploy.statement_timeout}
        value = nested[key] if key in nested else getattr(config, key, None)
        assert value, f"uncommenting `{key}` had no effect"


def test_gitignore_is_appended_to_once(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n*.pyc")  # no final newline
    assert run_cli(["init"], tmp_path).returncode == 0
    assert (tmp_path / ".gitignore").read_text().splitlines()[:2] == ["node_modules/", "*.pyc"]
    (tmp_path / "teamigrate.yaml").unlink()
    assert run_cli(["init"], tmp_path).returncode == 0
    assert (tmp_path / ".gitignore").read_text().splitlines().count(".teamigrate/") == 1


def test_init_refuses_an_existing_project_and_writes_nothing(tmp_path: Path) -> None:
    assert run_cli(["init"], tmp_path).returncode == 0
    (tmp_path / "teamigrate.yaml").write_text("migrations: migrations\n")
    before = tree(tmp_path)
    for args in (["init"], ["init", "--example"]):
        result = run_cli(args, tmp_path)
        assert result.returncode == 1
        assert result.stderr.startswith("error[TM106]: ") and "hint:" in result.stderr
        assert tree(tmp_path) == before


def test_init_keeps_an_existing_prisma_migrations_folder_and_sums_it(tmp_path: Path) -> None:
    (tmp_path / "migrations/20210101000000_init").mkdir(parents=True)
    (tmp_path / "migrations/20210101000000_init/migration.sql").write_text('CREATE TABLE "User" (id serial PRIMARY KEY);\n')
    (tmp_path / "migrations/migration_lock.toml").write_text('provider = "postgresql"\n')
    result = run_cli(["init"], tmp_path)
    assert result.returncode == 0, result.stderr
    directory = MigrationDirectory(tmp_path / "migrations")
    assert verify(directory.migrations(), directory.read_sum_text()).ids == ("20210101000000_init",)
    # Not a new project: what was found, and the next step for the databases that applied it, not for a schema.
    assert result.stdout.splitlines()[-3:] == [
        "found 1 migration in migrations/ (Prisma's migration_lock.toml there is ignored)",
        "next: `teamigrate status` shows which of them your database has applied, and `teamigrate deploy` applies the rest;",
        "      on a database Prisma Migrate managed (it has _prisma_migrations), run `teamigrate baseline --from-prisma` first",
    ]
    assert "describe your schema" not in result.stdout


def schema_dump(url: str) -> str:
    dump = subprocess.run([str(embedded_bin_dir() / "pg_dump"), "--schema-only", "--no-owner", url], capture_output=True, text=True, check=True).stdout
    return "\n".join(line for line in dump.splitlines() if line and not line.startswith(("--", "\\restrict", "\\unrestrict")))


def test_example_migrations_build_exactly_the_example_schema(tmp_path: Path, make_database) -> None:  # type: ignore[no-untyped-def]
    assert run_cli(["init", "--example"], tmp_path).returncode == 0
    migrations = MigrationDirectory(tmp_path / "migrations").migrations()
    assert 2 <= len(migrations) <= 3 and all(m.down_sql for m in migrations)
    from_migrations, from_schema = make_database(), make_database()
    replay(from_migrations, migrations)
    with psycopg.connect(from_schema, autocommit=True) as conn:
        conn.execute((tmp_path / "schema.sql").read_text())
    dump = schema_dump(from_migrations)
    assert dump == schema_dump(from_schema)
    for needle in ("CREATE TYPE public.order_status AS ENUM", "CREATE VIEW public.order_totals", "CREATE INDEX orders_customer_id_idx", "FOREIGN KEY (customer_id)"):
        assert needle in dump
    # Every down.sql undoes its migration, newest first.
    with psycopg.connect(from_migrations, autocommit=True) as conn:
        for migration in reversed(migrations):
            conn.execute(migration.down_sql or "")
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace").fetchone() == (0,)
    assert "schema: schema.sql" in (tmp_path / "teamigrate.yaml").read_text().splitlines()


def test_example_then_deploy_then_status_on_the_embedded_default(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    assert run_cli(["init", "--example"], root).returncode == 0
    deployed = run_cli(["deploy"], root)
    assert deployed.returncode == 0, deployed.stderr
    assert deployed.stdout.count("applied ") == 3
    status = run_cli(["status", "--json"], root)
    assert status.returncode == 0, status.stderr
    document = json.loads(status.stdout)
    assert [m["state"] for m in document["migrations"]] == ["applied"] * 3
    with psycopg.connect(document["database"], autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('order_totals') IS NOT NULL").fetchone() == (True,)
    assert "applied" in run_cli(["status"], root).stdout


def test_a_failed_init_writes_nothing(tmp_path: Path) -> None:
    # A migrations folder init cannot read stops it before anything is written.
    (tmp_path / "migrations/bad name").mkdir(parents=True)
    result = run_cli(["init"], tmp_path)
    assert result.returncode == 1 and result.stderr.startswith("error[TM201]")
    assert not (tmp_path / "teamigrate.yaml").exists() and not (tmp_path / ".gitignore").exists()
    assert not (tmp_path / "migrations/teamigrate.sum").exists()


# --- init --schema [PATH]: a schema file without editing YAML ------------------------------


def test_init_schema_sets_schema_and_writes_an_empty_schema_file(tmp_path: Path) -> None:
    result = run_cli(["init", "--schema"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote schema.sql" in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1] == "next: describe your schema in schema.sql and run `teamigrate dev`"
    config = (tmp_path / "teamigrate.yaml").read_text()
    assert "schema: schema.sql" in config.splitlines()
    assert "# schema: schema.sql" not in config
    assert parse_config(config, tmp_path / "teamigrate.yaml").schema == tmp_path / "schema.sql"
    schema = (tmp_path / "schema.sql").read_text()
    assert all(line.startswith("-- ") for line in schema.splitlines()) and "teamigrate dev" in schema
    # The comment is an empty schema, the same as the empty history: nothing to generate yet.
    diffed = run_cli(["diff", "--from", "migrations", "--to", "schema", "--format", "summary", "--exit-code"], tmp_path)
    assert diffed.returncode == 0, diffed.stdout + diffed.stderr  # 2 would mean changes
    assert "no changes" in diffed.stderr


def test_init_schema_path_in_a_folder_and_an_existing_schema_file_is_kept(tmp_path: Path) -> None:
    nested = tmp_path / "nested"
    nested.mkdir()
    assert run_cli(["init", "--schema", "db/schema.sql"], nested).returncode == 0
    assert "schema: db/schema.sql" in (nested / "teamigrate.yaml").read_text().splitlines()
    assert (nested / "db" / "schema.sql").read_text().startswith("-- ")

    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "schema.sql").write_text("CREATE TABLE users (id bigint PRIMARY KEY);\n")
    result = run_cli(["init", "--schema"], kept)
    assert result.returncode == 0, result.stderr
    assert "wrote schema.sql" not in result.stdout.splitlines()
    assert (kept / "schema.sql").read_text() == "CREATE TABLE users (id bigint PRIMARY KEY);\n"
    assert "schema: schema.sql" in (kept / "teamigrate.yaml").read_text().splitlines()

    # A path YAML would misread is quoted.
    odd = tmp_path / "odd"
    odd.mkdir()
    assert run_cli(["init", "--schema", "my schema: v1.sql"], odd).returncode == 0
    assert parse_config((odd / "teamigrate.yaml").read_text(), odd / "teamigrate.yaml").schema == odd / "my schema: v1.sql"


def test_init_schema_refuses_a_path_without_schema_and_another_file_with_example(tmp_path: Path) -> None:
    alone = run_cli(["init", "db.sql"], tmp_path)
    assert alone.returncode == 2 and "--schema" in alone.stderr
    mixed = run_cli(["init", "--example", "--schema", "other.sql"], tmp_path)
    assert mixed.returncode == 2 and "--example writes schema.sql" in mixed.stderr
    assert not (tmp_path / "teamigrate.yaml").exists()
    assert run_cli(["init", "--example", "--schema"], tmp_path).returncode == 0
    assert "schema: schema.sql" in (tmp_path / "teamigrate.yaml").read_text().splitlines()


def test_init_from_database_with_schema_starts_the_schema_file_as_the_baseline(tmp_path: Path, make_database) -> None:  # type: ignore[no-untyped-def]
    legacy = make_database()
    with psycopg.connect(legacy, autocommit=True) as conn:
        conn.execute("CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL UNIQUE)")
    result = run_cli(["init", "--from-database", legacy, "--schema"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote schema.sql" in result.stdout.splitlines()
    assert "CREATE TABLE" in (tmp_path / "schema.sql").read_text()
    # The history and the schema file agree from the start: `check` and `dev` have nothing to say about it.
    diffed = run_cli(["diff", "--from", "migrations", "--to", "schema", "--format", "summary", "--exit-code"], tmp_path)
    assert diffed.returncode == 0, diffed.stdout + diffed.stderr  # 2 would mean changes
    assert "no changes" in diffed.stderr


def test_init_schema_beside_existing_migrations_starts_as_the_schema_they_build(tmp_path: Path) -> None:
    # A Prisma project's folder: an empty schema.sql would ask `dev` to drop every table the history builds.
    (tmp_path / "migrations/20210101000000_init").mkdir(parents=True)
    (tmp_path / "migrations/20210101000000_init/migration.sql").write_text('CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL);\n')
    result = run_cli(["init", "--schema"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'CREATE TABLE public."User"' in (tmp_path / "schema.sql").read_text()
    diffed = run_cli(["diff", "--from", "migrations", "--to", "schema", "--format", "summary", "--exit-code"], tmp_path)
    assert diffed.returncode == 0, diffed.stdout + diffed.stderr

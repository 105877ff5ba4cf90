"""How fast teamigrate introspects and diffs two 2,000-table databases, next to migra and to loading the schema with psql.

    python benchmarks/diff_bench.py                       # embedded PostgreSQL 18
    python benchmarks/diff_bench.py --pg-bin /usr/lib/postgresql/15/bin
    python benchmarks/diff_bench.py --url postgresql://user@host/postgres

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from teamigrate.database import connect
from teamigrate.server.shadow import ShadowServer
from teamigrate.server.cluster import PostgresCluster, embedded_bin_dir, embedded_cluster, pg_bin_cluster

SCHEMAS = ("app", "sales", "ops", "hr")
# Coprime with any table count we use, so that the changed tables spread over the whole schema.
_SPREAD = 7919
T = TypeVar("T")


# --- the two schemas -----------------------------------------------------------------


@dataclass(frozen=True)
class BenchTable:
    number: int

    @property
    def name(self) -> str:
        return f"{SCHEMAS[self.number % len(SCHEMAS)]}.t{self.number:05d}"

    @property
    def short(self) -> str:
        return f"t{self.number:05d}"

    @property
    def has_view(self) -> bool:
        return self.number % 10 == 0

    @property
    def has_function(self) -> bool:
        return self.number % 10 == 5

    @property
    def has_trigger(self) -> bool:
        return self.number % 20 == 3


def changes_by_table(tables: int, changes: int) -> dict[int, int]:
    """Which table gets which kind of change (0-9) in the second schema."""
    return {(k * _SPREAD) % tables: k % 10 for k in range(min(changes, tables))}


def schema_sql(tables: int, changes: dict[int, int]) -> str:
    """The first schema when `changes` is empty; the second otherwise."""
    out = [f"CREATE SCHEMA {name};" for name in SCHEMAS]
    out.append("CREATE TYPE app.status AS ENUM ('new', 'active', 'done', 'archived');")
    out.append(
        "CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n    NEW.created_at := coalesce(NEW.created_at, now());\n    RETURN NEW;\nEND\n$$;"
    )
    for number in range(tables):
        out.extend(table_sql(BenchTable(number), changes.get(number)))
    return "\n".join(out) + "\n"


def table_sql(table: BenchTable, change: int | None) -> list[str]:
    name, short = table.name, table.short
    amount_type = "numeric(14, 2)" if change == 1 else "numeric(12, 2)"
    name_column = "name text" + ("" if change == 7 else " NOT NULL") + (" DEFAULT ''" if change == 4 else "")
    check = "amount >= -100" if change == 5 else "amount >= 0"
    parent = ""
    if table.number > 0:
        on_delete = " ON DELETE CASCADE" if change == 9 and not table.has_function else ""
        parent = f",\n    parent_id bigint REFERENCES {BenchTable(table.number // 2).name} (id){on_delete}"
    extra = ""
    if change == 0:
        extra = ",\n    note text"
    elif change == 8 and not table.has_view:
        extra = ",\n    flag boolean NOT NULL DEFAULT false"
    out = [
        f"CREATE TABLE {name} (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY{parent},\n    {name_column},\n"
        f"    status app.status NOT NULL DEFAULT 'new',\n    amount {amount_type} DEFAULT 0 CONSTRAINT {short}_amount_check CHECK ({check}),\n"
        f"    created_at timestamptz NOT NULL DEFAULT now(),\n    payload jsonb{extra}\n);"
    ]
    if table.number > 0 and change != 2:
        out.append(f"CREATE INDEX {short}_parent ON {name} (parent_id);")
    if change == 3:
        out.append(f"CREATE INDEX {short}_created ON {name} (created_at DESC);")
    if table.number % 3 == 0:
        out.append(f"CREATE INDEX {short}_status ON {name} (status, created_at DESC) WHERE status <> 'archived';")
    if table.number % 5 == 0:
        out.append(f"CREATE UNIQUE INDEX {short}_name ON {name} (lower(name));")
    if table.number % 7 == 0 or change == 6:
        words = "changed comment" if change == 6 else "a table of the benchmark"
        out.append(f"COMMENT ON TABLE {name} IS '{words} {table.number}';")
    if table.has_view:
        where = "status IN ('done', 'archived')" if change == 8 else "status = 'done'"
        out.append(f"CREATE VIEW {name}_done AS SELECT id, name, amount FROM {name} WHERE {where};")
    if table.has_function:
        factor = "1.25" if change == 9 else "1.2"
        out.append(
            f"CREATE FUNCTION {name}_gross(row_id bigint) RETURNS numeric LANGUAGE sql STABLE\n"
            f"    RETURN (SELECT amount * {factor} FROM {name} WHERE id = row_id);"
        )
    if table.has_trigger:
        out.append(f"CREATE TRIGGER {short}_touch BEFORE INSERT ON {name} FOR EACH ROW EXECUTE FUNCTION app.touch();")
    return out


# --- measuring -------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    phase: str
    seconds: float
    note: str = ""


def timed(function: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def best_of(repeat: int, function: Callable[[], T]) -> tuple[T, float, list[float]]:
    runs = [timed(function) for _ in range(repeat)]
    result = runs[-1][0]
    seconds = [elapsed for _, elapsed in runs]
    return result, min(seconds), seconds


def load_with_psql(psql: Path, url: str, sql_file: Path) -> float:
    _, elapsed = timed(lambda: subprocess.run(
        [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(sql_file), "--dbname", url],
        check=True, stdout=subprocess.DEVNULL,
    ))
    return elapsed


def introspect_database(url: str) -> Any:
    from teamigrate.schema import introspect

    with connect(url) as conn:
        return introspect(conn)


def introspect_both(server: ShadowServer, url_a: str, url_b: str) -> Any:
    """Both databases the way `teamigrate diff` reads its two sources: Workspace.introspect_all."""
    from teamigrate.config import Config
    from teamigrate.workspace.schemas import Workspace

    workspace = Workspace(Config(path=Path("teamigrate.toml")), server)
    return workspace.introspect_all([url_a, url_b])


def migra_seconds(url_a: str, url_b: str) -> tuple[float, int] | None:
    """migra's time from connecting to having the SQL, or None when migra is not installed."""
    try:
        from migra import Migration
        from sqlbag import S
    except ImportError:
        return None

    def run() -> int:
        with S(url_a) as a, S(url_b) as b:
            migration = Migration(a, b)
            migration.set_safety(False)
            migration.add_all_changes()
            return len(migration.statements)

    statements, elapsed = timed(run)
    return elapsed, statements


def migra_process_seconds(url_a: str, url_b: str) -> float:
    """The migra command as a user runs it (exit 2 means it found changes)."""
    migra = Path(sys.executable).parent / "migra"
    _, elapsed = timed(lambda: subprocess.run([str(migra), "--unsafe", url_a, url_b], capture_output=True, check=False))
    return elapsed


# --- the server --------------------------------------------------------------------------


@contextmanager
def bench_server(url: str | None, pg_bin: Path | None) -> Iterator[tuple[ShadowServer, Path]]:
    """The server to measure on and its psql; a cluster this run started is stopped afterwards."""
    if url:
        yield ShadowServer(url), embedded_bin_dir() / "psql"
        return
    cluster: PostgresCluster = pg_bin_cluster(pg_bin) if pg_bin else embedded_cluster()
    was_running = cluster.status().running
    cluster.ensure_running()
    try:
        yield ShadowServer(cluster.url(), cluster), cluster.binary("psql")
    finally:
        if not was_running:
            cluster.stop()


@contextmanager
def bench_database(server: ShadowServer, name: str, keep: bool) -> Iterator[str]:
    server.drop_database(name)
    url = server.create_database(name)
    try:
        yield url
    finally:
        if not keep:
            server.drop_database(name)


def run(args: argparse.Namespace) -> list[Timing]:
    from teamigrate.schema import diff_schemas
    from teamigrate.schema.summary import render_summary

    changes = changes_by_table(args.tables, args.changes)
    timings: list[Timing] = []
    with bench_server(args.url, args.pg_bin) as (server, psql), tempfile.TemporaryDirectory() as scratch:
        sql_a, sql_b = Path(scratch) / "a.sql", Path(scratch) / "b.sql"
        sql_a.write_text(schema_sql(args.tables, {}))
        sql_b.write_text(schema_sql(args.tables, changes))
        suffix = os.getpid()
        with bench_database(server, f"diffbench_a_{suffix}", args.keep) as url_a, bench_database(server, f"diffbench_b_{suffix}", args.keep) as url_b:
            with connect(url_a) as conn:
                version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            print(f"PostgreSQL {version}; {args.tables} tables per database, {len(changes)} tables changed in B; best of {args.repeat}")
            timings.append(Timing("load A (psql -f, floor)", load_with_psql(psql, url_a, sql_a)))
            timings.append(Timing("load B (psql -f, floor)", load_with_psql(psql, url_b, sql_b)))

            schema_a, seconds, runs = best_of(args.repeat, lambda: introspect_database(url_a))
            timings.append(Timing("introspect A", seconds, spread(runs)))
            schema_b, seconds, runs = best_of(args.repeat, lambda: introspect_database(url_b))
            timings.append(Timing("introspect B", seconds, spread(runs)))
            plan, seconds, runs = best_of(args.repeat, lambda: diff_schemas(schema_a, schema_b))
            timings.append(Timing("diff", seconds, f"{len(plan.statements)} statements, {len(plan.changes)} changes; {spread(runs)}"))
            _, seconds, runs = best_of(args.repeat, lambda: (plan.to_sql(), render_summary(plan)))
            timings.append(Timing("render (SQL and summary)", seconds, spread(runs)))
            total = sum(t.seconds for t in timings if not t.phase.startswith("load"))
            timings.append(Timing("teamigrate total", total, "phases one after another"))
            _, together, runs = best_of(args.repeat, lambda: introspect_both(server, url_a, url_b))
            timings.append(Timing("introspect A and B together", together, f"as `teamigrate diff` does; {spread(runs)}"))
            concurrent_total = together + sum(t.seconds for t in timings if t.phase in ("diff", "render (SQL and summary)"))
            timings.append(Timing("teamigrate diff total", concurrent_total, "introspection side by side, then diff and render"))

            timings.extend(proof_timings(server, url_a, url_b, schema_a, schema_b, plan, args.repeat))
            timings.extend(command_timings(url_a, url_b, args.repeat))

            if not args.no_migra:
                measured = migra_seconds(url_a, url_b)
                if measured is None:
                    timings.append(Timing("migra", float("nan"), "not installed (pip install migra psycopg2-binary)"))
                else:
                    seconds, statements = measured
                    timings.append(Timing("migra total", seconds, f"{statements} statements; {seconds / concurrent_total:.1f}x teamigrate diff's time"))
                    process = next(t.seconds for t in timings if t.phase == "`teamigrate diff` process")
                    timings.append(Timing("migra process", migra_process_seconds(url_a, url_b), f"the migra command; `teamigrate diff` process is {process:.2f}s"))
    return timings


def proof_timings(server: ShadowServer, url_a: str, url_b: str, schema_a: Any, schema_b: Any, plan: Any, repeat: int) -> list[Timing]:
    """The proof `diff` runs on its plan (a copy of A by template, the plan applied, introspected, diffed to nothing),
    and the second check's cost: pg_dump --schema-only of two databases of this size, normalised and compared."""
    from teamigrate.config import Config
    from teamigrate.workspace.dump_check import dumps_differ
    from teamigrate.workspace.proof import prove_plan
    from teamigrate.workspace.schemas import Workspace

    workspace = Workspace(Config(path=Path("teamigrate.toml")), server)
    _, proof, runs = best_of(repeat, lambda: prove_plan(workspace, url_a, plan, schema_b))
    (only_a, only_b), dumps, dump_runs = best_of(repeat, lambda: dumps_differ(url_a, url_b))
    return [
        Timing("proof (model)", proof, f"copy A by template (into the memory tablespace when tmpfs has room), apply the plan, introspect, compare; {spread(runs)}"),
        Timing("pg_dump check (2nd)", dumps, f"both dumped side by side, normalised, compared ({len(only_a) + len(only_b)} statements differ); {spread(dump_runs)}"),
    ]


def command_timings(url_a: str, url_b: str, repeat: int) -> list[Timing]:
    """`teamigrate diff --from A --to B` as whole processes, as a user waits for it: with the proof and with --no-verify."""
    with tempfile.TemporaryDirectory() as project:
        subprocess.run([sys.executable, "-m", "teamigrate", "init"], cwd=project, check=True, capture_output=True)

        def command(*extra: str) -> None:
            done = subprocess.run([sys.executable, "-m", "teamigrate", "diff", "--from", url_a, "--to", url_b, *extra], cwd=project, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"teamigrate diff failed: {done.stderr.strip()}")

        _, proven, runs = best_of(repeat, command)
        _, unproven, fast_runs = best_of(repeat, lambda: command("--no-verify"))
    return [
        Timing("`teamigrate diff` process", proven, f"proof on; {proven / unproven:.1f}x --no-verify; {spread(runs)}"),
        Timing("`teamigrate diff --no-verify`", unproven, spread(fast_runs)),
    ]


def spread(runs: list[float]) -> str:
    return f"median {statistics.median(runs):.3f}s" if len(runs) > 1 else ""


def print_table(timings: list[Timing]) -> None:
    width = max(len(t.phase) for t in timings)
    print(f"{'phase':<{width}}  {'seconds':>8}  note")
    for timing in timings:
        print(f"{timing.phase:<{width}}  {timing.seconds:>8.3f}  {timing.note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=2000, help="tables per database (default 2000)")
    parser.add_argument("--changes", type=int, default=300, help="tables that differ in the second database (default 300)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each teamigrate phase; the best is shown (default 3)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="a server on which to create the two databases (default: the embedded server)")
    where.add_argument("--pg-bin", type=Path, help="run a cluster from this PostgreSQL bin/ folder, e.g. /usr/lib/postgresql/15/bin")
    parser.add_argument("--no-migra", action="store_true", help="skip migra even when it is installed")
    parser.add_argument("--keep", action="store_true", help="keep the two databases afterwards")
    args = parser.parse_args(argv)
    print_table(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Whole `teamigrate` processes as a user runs them, beside their floor and peers in the same run.

Every row is a subprocess timed by the wall clock, from start to exit, with the
daemon off unless the row says otherwise (TEAMIGRATE_DAEMON=0). Beside each: the
floor (`psql`) and the peers (dbmate, migra) when installed, on the same server
in the same run. Best and median of `--runs` runs, with ratios; the machine's
load average at the start and end of each group. Asserts nothing.

    python benchmarks/cli_bench.py                    # every group
    python benchmarks/cli_bench.py --only deploy --runs 3
    python benchmarks/cli_bench.py --only check --only new

Groups:
  deploy  `deploy` of 300 small migrations into an empty database, and of a real history (the 32 hand-written
          migrations with data of tests/commands/realistic_project); `psql -1 -f` of the same SQL; `dbmate up`
  diff    `diff --from URL --to URL` of two 2,000-table databases, with its proof and with --no-verify; `migra`; the same
          between a database and a copy of it (no changes)
  check   `check` cold (server stopped, replay cache and schema store empty), unchanged, after one migration
          written by hand (schema.sql regenerated) with and without the memory tablespace, and the same two with the daemon
  new     `new` and `dev` on the 300-migration history, server warm (each adds one table to schema.sql), with and
          without the memory tablespace (server/memory.py)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_bench import add_by_hand, build_project, migration_sql  # noqa: E402
from deploy_bench import find_dbmate, timed  # noqa: E402

GROUPS = ("deploy", "diff", "check", "new")
TEAMIGRATE = [sys.executable, "-m", "teamigrate"]
# What any deploy in Python costs before its first query: the interpreter and the modules deploy imports (the
# libpq path's), then exit. Beside psql it shows how much of a small history's ratio no change to deploy can remove.
PYTHON_FLOOR = "python + deploy's imports, no work (not a peer)"
DEPLOY_IMPORTS = "import os, teamigrate.config, teamigrate.commands.deploy; os._exit(0)"
ON_DISK = {"TEAMIGRATE_MEMORY_TABLESPACE": "0"}  # rows beside: the shadow's throwaway databases on disk


class Bench:
    """The scratch project, its environment and the server, and the rows measured so far."""

    def __init__(self, args: argparse.Namespace) -> None:
        from teamigrate.server.cluster import embedded_bin_dir
        from teamigrate.server.shadow import ShadowServer

        self.args = args
        self.scratch = Path(tempfile.mkdtemp(prefix="cli-bench-"))
        self.home = self.scratch / "home"
        os.environ["TEAMIGRATE_HOME"] = str(self.home)
        self.env = {**os.environ, "TEAMIGRATE_HOME": str(self.home), "TEAMIGRATE_DAEMON": "0",
                    "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}
        self.root = self.scratch / "project"
        self.root.mkdir()
        self.bin_dir = embedded_bin_dir()
        self.server = ShadowServer.embedded()
        self.made: list[str] = []
        self.added = args.migrations
        self.floor = build_project(self.root, self.env, self.server, self.bin_dir, args.migrations)

    def fresh(self) -> str:
        name = "clibench_" + uuid.uuid4().hex[:10]
        self.made.append(name)
        return self.server.create_database(name)

    def teamigrate(self, *args: str, env: dict[str, str] | None = None) -> float:
        return timed([*TEAMIGRATE, *args], self.root, {**self.env, **(env or {})})

    def runs(self, measure: Callable[[], float]) -> list[float]:
        return [measure() for _ in range(self.args.runs)]

    def reconnect(self) -> None:
        """A new maintenance connection: a cold row restarted the server."""
        from teamigrate.server.shadow import ShadowServer

        self.server = ShadowServer.embedded()

    def close(self) -> None:
        from teamigrate.server.cluster import PostgresCluster

        subprocess.run([*TEAMIGRATE, "daemon", "stop"], cwd=self.root, env=self.env, capture_output=True)
        self.reconnect()
        for name in self.made:
            self.server.drop_database(name)
        PostgresCluster(self.bin_dir, self.home / "server").stop()
        shutil.rmtree(self.scratch, ignore_errors=True)


def report(title: str, rows: dict[str, list[float]], base: str, load_before: float) -> None:
    """Best and median of each row, and best / best of `base`."""
    floor = min(rows[base])
    print(f"\n{title} (load {load_before:.2f} -> {os.getloadavg()[0]:.2f})")
    print(f"{'':52} {'best s':>8} {'median s':>9} {'/ ' + base[:14]:>17}")
    for name, times in rows.items():
        print(f"{name:52} {min(times):8.3f} {statistics.median(times):9.3f} {min(times) / floor:17.2f}")


def deploy_group(bench: Bench) -> None:
    load = os.getloadavg()[0]
    _deploy_rows(bench, bench.root, [migration_sql(n) for n in range(bench.args.migrations)], f"deploy of {bench.args.migrations} migrations into an empty database", load)
    # A real history: the task tracker of tests/commands/realistic_project (hand-written migrations with data).
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.commands.realistic_project import MIGRATIONS, write_project

    real = bench.scratch / "real"
    real.mkdir()
    shutil.copy(bench.root / "teamigrate.yaml", real / "teamigrate.yaml")
    write_project(real)
    subprocess.run([*TEAMIGRATE, "hash"], cwd=real, env=bench.env, check=True, capture_output=True)
    _deploy_rows(bench, real, [sql for _, sql, _ in MIGRATIONS], f"deploy of a real history ({len(MIGRATIONS)} hand-written migrations with data)", os.getloadavg()[0])


def _deploy_rows(bench: Bench, project: Path, migrations: list[str], title: str, load: float) -> None:
    """teamigrate deploy of `project`, psql -1 -f and dbmate up of the same SQL, each into a fresh database."""
    whole = bench.scratch / f"{project.name}.sql"
    whole.write_text("".join(sql + "\n;\n" for sql in migrations))
    psql = str(bench.bin_dir / "psql")
    rows: dict[str, list[float]] = {"psql -1 -f (floor)": [], "teamigrate deploy": [], PYTHON_FLOOR: []}
    dbmate = find_dbmate(Path(__file__).resolve().parent.parent)
    dbmate_dir = bench.scratch / f"dbmate-{project.name}"
    if dbmate:
        rows["dbmate up"] = []
        dbmate_dir.mkdir(exist_ok=True)
        for index, sql in enumerate(migrations):
            (dbmate_dir / f"{index:06d}_m.sql").write_text("-- migrate:up\n" + sql + "\n-- migrate:down\n")
    for _ in range(bench.args.runs):
        rows["psql -1 -f (floor)"].append(timed([psql, "-q", "-X", "-1", "-v", "ON_ERROR_STOP=1", "-f", str(whole), bench.fresh()], project, bench.env))
        rows["teamigrate deploy"].append(timed([*TEAMIGRATE, "deploy"], project, {**bench.env, "DATABASE_URL": bench.fresh()}))
        rows[PYTHON_FLOOR].append(timed([sys.executable, "-c", DEPLOY_IMPORTS], project, bench.env))
        if dbmate:
            url = bench.fresh().replace("postgresql://", "postgres://").replace("?host=", "?sslmode=disable&socket=")
            rows["dbmate up"].append(timed([dbmate, "--no-dump-schema", "--migrations-dir", str(dbmate_dir), "--url", url, "up"], project, bench.env))
    report(title, rows, "psql -1 -f (floor)", load)


def diff_group(bench: Bench) -> None:
    from diff_bench import changes_by_table, load_with_psql, schema_sql

    from teamigrate.database import url_database

    tables = bench.args.tables
    sql_a, sql_b = bench.scratch / "a.sql", bench.scratch / "b.sql"
    sql_a.write_text(schema_sql(tables, {}))
    sql_b.write_text(schema_sql(tables, changes_by_table(tables, 300)))
    url_a, url_b = bench.fresh(), bench.fresh()
    load_with_psql(bench.bin_dir / "psql", url_a, sql_a)
    load_with_psql(bench.bin_dir / "psql", url_b, sql_b)
    # The same schema as A in another database: a diff that finds nothing (CI's drift check) has nothing to prove.
    same_as_a = "clibench_" + uuid.uuid4().hex[:10]
    bench.made.append(same_as_a)
    url_same = bench.server.create_database(same_as_a, template=url_database(url_a))
    load = os.getloadavg()[0]

    def diff(*extra: str, to: str = url_b) -> float:
        start = time.perf_counter()
        done = subprocess.run([*TEAMIGRATE, "diff", "--from", url_a, "--to", to, *extra], cwd=bench.root, env=bench.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"teamigrate diff failed: {done.stderr.strip()}")
        return time.perf_counter() - start

    measures: dict[str, Callable[[], float]] = {
        "teamigrate diff --no-verify": lambda: diff("--no-verify"), "teamigrate diff (proof on)": diff,
        "teamigrate diff, no changes --no-verify": lambda: diff("--no-verify", to=url_same),
        "teamigrate diff, no changes (proof on)": lambda: diff(to=url_same),
    }
    migra = Path(sys.executable).parent / "migra"
    if migra.exists():
        def run_migra() -> float:
            start = time.perf_counter()
            subprocess.run([str(migra), "--unsafe", url_a, url_b], capture_output=True, check=False)  # exit 2: changes found
            return time.perf_counter() - start

        measures["migra (peer)"] = run_migra
    # Round by round, each row once a round: on a machine shared with others, a burst of load falls on every row
    # alike instead of on the rows measured while it lasted, and the ratios stay comparable.
    rows: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(bench.args.runs):
        for name, measure in measures.items():
            rows[name].append(measure())
    report(f"diff of two {tables}-table databases by URL", rows, "teamigrate diff --no-verify", load)


def check_group(bench: Bench) -> None:
    from teamigrate.server.cluster import PostgresCluster
    from teamigrate.workspace.reader import clear_caches

    load = os.getloadavg()[0]

    def cold() -> float:
        bench.reconnect()
        clear_caches(bench.server)
        (bench.root / ".teamigrate" / "check.ok").unlink(missing_ok=True)  # check's stamp of its last success
        PostgresCluster(bench.bin_dir, bench.home / "server").stop()
        seconds = bench.teamigrate("check")
        bench.reconnect()
        return seconds

    def by_hand(env: dict[str, str] | None = None, pause: float = 1.0) -> float:
        bench.made.append(add_by_hand(bench.root, bench.env, bench.server, bench.bin_dir, bench.added))
        bench.added += 1
        time.sleep(pause)  # the server's writes of that replay and dump settle; a user stages and commits
        return bench.teamigrate("check", env=env)

    rows = {"check, cold (server stopped, no caches)": bench.runs(cold)}
    bench.teamigrate("check")
    rows["check, nothing changed"] = bench.runs(lambda: bench.teamigrate("check"))
    rows["check, one migration by hand"] = bench.runs(by_hand)
    # The same with the throwaway databases on disk, as on a machine with no tmpfs (server/memory.py).
    rows["check, one migration by hand (memory tablespace off)"] = bench.runs(lambda: by_hand(ON_DISK))
    daemon = {"TEAMIGRATE_DAEMON": "1"}
    bench.teamigrate("daemon", "start", env=daemon)
    try:
        bench.teamigrate("check", env=daemon)
        rows["daemon: check, nothing changed"] = bench.runs(lambda: bench.teamigrate("check", env=daemon))
        # The daemon reads a watched project's changes ahead of the check: 2 s, as from saving to `git commit`.
        rows["daemon: check, one migration by hand (2 s later)"] = bench.runs(lambda: by_hand(daemon, 2.0))
    finally:
        bench.teamigrate("daemon", "stop", env=daemon)
    report(f"check on a history of {bench.args.migrations}+ migrations", rows, "check, cold (server stopped, no caches)", load)
    best = {name: min(times) for name, times in rows.items()}
    cold_best = best["check, cold (server stopped, no caches)"]
    print(f"one migration by hand / cold (aim <= 0.1): {best['check, one migration by hand'] / cold_best:.3f}; "
          f"with the daemon {best['daemon: check, one migration by hand (2 s later)']:.3f} s (aim < 0.1 s)")


def new_group(bench: Bench) -> None:
    load = os.getloadavg()[0]
    bench.teamigrate("deploy")  # the development database holds the history, so `dev` only applies its own migration

    def add_table(command: str, env: dict[str, str] | None = None) -> float:
        bench.added += 1
        with (bench.root / "schema.sql").open("a") as schema:
            schema.write(f"\nCREATE TABLE public.added_{bench.added} (id bigint PRIMARY KEY, note text);\n")
        time.sleep(1.1)  # both name the migration after the current second
        args = ("new", f"add_{bench.added}") if command == "new" else ("dev", "--name", f"add_{bench.added}")
        return bench.teamigrate(*args, env=env)

    bench.teamigrate("check")
    rows = {"check, nothing changed": bench.runs(lambda: bench.teamigrate("check")),
            "new (one table added to schema.sql)": bench.runs(lambda: add_table("new")),
            "dev (one table added, migration applied)": bench.runs(lambda: add_table("dev")),
            "new (memory tablespace off)": bench.runs(lambda: add_table("new", ON_DISK)),
            "dev (memory tablespace off)": bench.runs(lambda: add_table("dev", ON_DISK))}
    report(f"new and dev on a history of {bench.args.migrations}+ migrations, server warm (aim < 0.5 s)", rows, "check, nothing changed", load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=GROUPS, help="run this group only (repeatable)")
    parser.add_argument("--runs", "-n", type=int, default=5, help="runs of each row (default 5)")
    parser.add_argument("--migrations", type=int, default=300)
    parser.add_argument("--tables", type=int, default=2000, help="tables per database in the diff group")
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; best and median of {args.runs}")
    bench = Bench(args)
    try:
        for group in args.only or GROUPS:
            globals()[f"{group}_group"](bench)
    finally:
        bench.close()


if __name__ == "__main__":
    main()

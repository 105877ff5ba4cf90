"""Time `teamigrate deploy` of 300 generated migrations as a user runs it: a whole process, into an empty database.

Beside it, in the same run, into fresh databases on the same server: the floor
(`psql -1 -f` of the same migration files, concatenated) and, when installed
(`npm install dbmate` puts it in node_modules/.bin), dbmate's `up` of the same
files. Best and median of several runs, printed with ratios; asserts nothing.

    python benchmarks/deploy_bench.py [--migrations 300] [--runs 5]
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_bench import migration_sql, write_migration  # noqa: E402


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def find_dbmate(root: Path) -> str | None:
    for candidate in (root / "node_modules" / ".bin" / "dbmate", Path.cwd() / "node_modules" / ".bin" / "dbmate"):
        if candidate.exists():
            return str(candidate)
    return shutil.which("dbmate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--migrations", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from teamigrate.server.cluster import embedded_bin_dir
    from teamigrate.server.shadow import ShadowServer

    scratch = Path(tempfile.mkdtemp(prefix="deploy-bench-"))
    home = scratch / "home"
    os.environ["TEAMIGRATE_HOME"] = str(home)
    env = {**os.environ, "TEAMIGRATE_HOME": str(home), "TEAMIGRATE_DAEMON": "0"}
    root = scratch / "project"
    root.mkdir()
    server = ShadowServer.embedded()
    psql = embedded_bin_dir() / "psql"
    dbmate = find_dbmate(Path(__file__).resolve().parent.parent)
    made: list[str] = []

    def fresh() -> str:
        name = "bench_" + uuid.uuid4().hex[:10]
        made.append(name)
        return server.create_database(name)

    try:
        for n in range(args.migrations):
            write_migration(root, n)
        (root / "teamigrate.yaml").write_text("database_url: ${DATABASE_URL:-}\nmigrations: migrations\n")
        subprocess.run([sys.executable, "-m", "teamigrate", "hash"], cwd=root, env=env, check=True, capture_output=True)
        whole = root / "all.sql"
        whole.write_text("".join(migration_sql(n) for n in range(args.migrations)))
        dbmate_dir = scratch / "dbmate"
        dbmate_dir.mkdir()
        for folder in sorted((root / "migrations").iterdir()):
            if folder.is_dir():
                (dbmate_dir / f"{folder.name.split('_')[0]}_{folder.name}.sql").write_text("-- migrate:up\n" + (folder / "migration.sql").read_text() + "\n-- migrate:down\n")

        rows: dict[str, list[float]] = {"psql -1 -f (floor)": [], "teamigrate deploy": []}
        if dbmate:
            rows["dbmate up"] = []
        for _ in range(args.runs):
            rows["psql -1 -f (floor)"].append(timed([str(psql), "-q", "-X", "-1", "-v", "ON_ERROR_STOP=1", "-f", str(whole), fresh()], root, env))
            rows["teamigrate deploy"].append(timed([sys.executable, "-m", "teamigrate", "deploy"], root, {**env, "DATABASE_URL": fresh()}))
            if dbmate:
                url = fresh().replace("postgresql://", "postgres://")
                # dbmate wants sslmode=disable and a socket given as ?socket=
                url = url.replace("?host=", "?sslmode=disable&socket=")
                rows["dbmate up"].append(timed([dbmate, "--no-dump-schema", "--migrations-dir", str(dbmate_dir), "--url", url, "up"], root, env))
        floor = min(rows["psql -1 -f (floor)"])
        load = os.getloadavg()[0]
        print(f"deploy of {args.migrations} migrations, {args.runs} runs, load {load:.2f}")
        print(f"{'':24} {'best s':>8} {'median s':>9} {'best/floor':>11}")
        for name, times in rows.items():
            print(f"{name:24} {min(times):8.3f} {statistics.median(times):9.3f} {min(times) / floor:11.2f}")
        if dbmate:
            print(f"teamigrate / dbmate (best): {min(rows['teamigrate deploy']) / min(rows['dbmate up']):.2f}")
    finally:
        for name in made:
            server.drop_database(name)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The lock queue: how long readers of a busy table wait while a migration's ALTER TABLE waits behind a long transaction.

A table under a steady read loop (several connections), a session holding a
lock on it in an open transaction for `--blocker` seconds (a long report), and,
meanwhile, `ALTER TABLE t ADD COLUMN …` applied by: plain `psql -f`, `teamigrate
deploy` (lock_timeout `--lock-timeout`, retried) and, when installed (`npm install
dbmate` puts it in node_modules/.bin), `dbmate up`. A migration that waits for its
ACCESS EXCLUSIVE lock makes every later reader wait behind it: without a lock
timeout the readers stall for as long as the blocker lives. Prints the readers'
p50 / p99 / max wait per tool, side by side, and the machine's load; asserts nothing.

    python benchmarks/lock_bench.py [--blocker 1.5] [--readers 4] [--lock-timeout 200ms] [--runs 3]

tests/commands/test_deploy_locks.py runs the same scenario (`lock_queue`) with psql and teamigrate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

ALTER = "ALTER TABLE t ADD COLUMN note text;\n"
TABLE = "CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t SELECT generate_series(1, 1000);\n"


@dataclass(frozen=True)
class QueueRun:
    waits: list[float]  # every reader query's time, seconds
    result: subprocess.CompletedProcess[str]
    seconds: float  # how long the migration command took

    def percentile(self, share: float) -> float:
        ordered = sorted(self.waits)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def lock_queue(url: str, apply: Callable[[], subprocess.CompletedProcess[str]], *, blocker_seconds: float = 1.5, readers: int = 4, limit: float = 60.0) -> QueueRun:
    """Run `apply` while `readers` connections read t in a loop and a session holds ACCESS SHARE on t for `blocker_seconds`.

    Every thread ends by itself (a deadline of `limit` seconds), and `apply` should be bounded too (a timeout).
    """
    waits: list[float] = []
    done = threading.Event()
    lock = threading.Lock()

    def read() -> None:
        with psycopg.connect(url, autocommit=True, application_name="lock_bench reader") as conn:
            deadline = time.monotonic() + limit
            while not done.is_set() and time.monotonic() < deadline:
                started = time.monotonic()
                conn.execute("SELECT count(*) FROM t").fetchall()
                with lock:
                    waits.append(time.monotonic() - started)
                time.sleep(0.01)

    threads = [threading.Thread(target=read, daemon=True) for _ in range(readers)]
    blocker = psycopg.connect(url, application_name="lock_bench blocker")
    try:
        blocker.execute("LOCK TABLE t IN ACCESS SHARE MODE")  # psycopg opened the transaction: held until the rollback
        release = threading.Timer(blocker_seconds, blocker.rollback)
        for thread in threads:
            thread.start()
        release.start()
        started = time.monotonic()
        try:
            result = apply()
        finally:
            seconds = time.monotonic() - started
            release.join(timeout=limit)
            time.sleep(0.1)  # a few reads after the migration, which must be quick again
            done.set()
            for thread in threads:
                thread.join(timeout=limit)
    finally:
        blocker.close()
    return QueueRun(list(waits), result, seconds)


def run_bounded(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """A command in a process group of its own, ended (the whole group) when it runs past `timeout`."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        out, err = process.communicate()
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocker", type=float, default=1.5, help="seconds the long transaction holds its lock")
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--lock-timeout", default="200ms")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from deploy_bench import find_dbmate

    from teamigrate.server.cluster import embedded_bin_dir
    from teamigrate.server.shadow import ShadowServer

    scratch = Path(tempfile.mkdtemp(prefix="lock-bench-"))
    env = {**os.environ, "TEAMIGRATE_HOME": str(scratch / "home"), "TEAMIGRATE_DAEMON": "0"}
    os.environ["TEAMIGRATE_HOME"] = env["TEAMIGRATE_HOME"]
    server = ShadowServer.embedded()
    psql = embedded_bin_dir() / "psql"
    dbmate = find_dbmate(Path(__file__).resolve().parent.parent)
    project = scratch / "project"
    (project / "migrations" / "20261126093000_add_note").mkdir(parents=True)
    (project / "migrations" / "20261126093000_add_note" / "migration.sql").write_text(ALTER)
    (project / "teamigrate.yaml").write_text(f"database_url: ${{DATABASE_URL:-}}\nmigrations: migrations\ndeploy:\n  lock_timeout: {args.lock_timeout}\n  retries: 30\n")
    subprocess.run([sys.executable, "-m", "teamigrate", "hash"], cwd=project, env=env, check=True, capture_output=True)
    (scratch / "alter.sql").write_text(ALTER)
    dbmate_dir = scratch / "dbmate"
    dbmate_dir.mkdir()
    (dbmate_dir / "20261126093000_add_note.sql").write_text("-- migrate:up\n" + ALTER + "\n-- migrate:down\n")

    tools: dict[str, Callable[[str], list[str]]] = {
        "psql -f": lambda url: [str(psql), "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", str(scratch / "alter.sql"), url],
        f"teamigrate deploy (lock_timeout {args.lock_timeout})": lambda url: [sys.executable, "-m", "teamigrate", "deploy"],
    }
    if dbmate:
        tools["dbmate up"] = lambda url: [dbmate, "--no-dump-schema", "--migrations-dir", str(dbmate_dir), "--url", _dbmate_url(url), "up"]
    results: dict[str, list[QueueRun]] = {name: [] for name in tools}
    made: list[str] = []
    try:
        for _ in range(args.runs):
            for name, command in tools.items():
                database = "lockbench_" + uuid.uuid4().hex[:10]
                made.append(database)
                url = server.create_database(database)
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(TABLE)
                run = lock_queue(url, lambda: run_bounded(command(url), project, {**env, "DATABASE_URL": url}), blocker_seconds=args.blocker, readers=args.readers)
                if run.result.returncode != 0:
                    raise SystemExit(f"{name} failed:\n{run.result.stdout}\n{run.result.stderr}")
                results[name].append(run)
    finally:
        for database in made:
            server.drop_database(database)
    print(f"lock queue: {args.readers} readers of t, a transaction holding ACCESS SHARE on t for {args.blocker:g} s, ALTER TABLE t ADD COLUMN meanwhile; {args.runs} runs each, medians")
    print(f"{'tool':<40} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'reads':>6} {'migration s':>12}")
    for name, runs in results.items():
        def median(pick: Callable[[QueueRun], float]) -> float:
            return statistics.median(pick(run) for run in runs)
        print(
            f"{name:<40} {median(lambda r: r.percentile(0.5)) * 1000:>8.1f} {median(lambda r: r.percentile(0.99)) * 1000:>8.0f} "
            f"{median(lambda r: max(r.waits)) * 1000:>8.0f} {median(lambda r: len(r.waits)):>6.0f} {median(lambda r: r.seconds):>12.2f}"
        )
    print(_load())


def _dbmate_url(url: str) -> str:
    # dbmate wants sslmode=disable and the socket folder given as ?socket= (as deploy_bench does it)
    return url.replace("postgresql://", "postgres://").replace("?host=", "?sslmode=disable&socket=")


if __name__ == "__main__":
    main()

"""Time `teamigrate lint --all` over 300 generated migrations: the command as a user runs it, and the core call."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from teamigrate.config import load_config
from teamigrate.lint.linter import lint_targets
from teamigrate.lint.selection import all_targets

# A realistic mix: most migrations are small DDL, some touch data, a few build indexes.
TEMPLATES = (
    "CREATE TABLE IF NOT EXISTS t{n} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  name text NOT NULL,\n  created_at timestamptz DEFAULT now()\n);\n",
    "SET lock_timeout = '2s';\nALTER TABLE t{p} ADD COLUMN IF NOT EXISTS note{n} text;\nUPDATE t{p} SET note{n} = name;\n",
    "-- teamigrate: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t{p}_name_{n} ON t{p} (name);\n",
    "ALTER TABLE t{p} ALTER COLUMN name SET NOT NULL;\nALTER TABLE t{p} RENAME COLUMN name TO full_name{n};\n",
    "CREATE TABLE t{n} (id int PRIMARY KEY, label varchar(40), at timestamp);\nINSERT INTO t{n} (id, label) VALUES (1, 'a'), (2, 'b');\n",
)


def generate(root: Path, count: int) -> None:
    (root / "teamigrate.yaml").write_text("migrations: migrations\n")
    for n in range(count):
        folder = root / "migrations" / f"2026{1 + n // 2000:02d}{1 + n // 100 % 28:02d}{n % 100:06d}_step_{n}"
        folder.mkdir(parents=True)
        (folder / "migration.sql").write_text(TEMPLATES[n % len(TEMPLATES)].format(n=n, p=max(n - 5, 0)))
        if n % 3:
            (folder / "down.sql").write_text(f"DROP TABLE IF EXISTS t{n};\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--migrations", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lint-bench-") as scratch:
        root = Path(scratch)
        generate(root, args.migrations)
        command = [sys.executable, "-m", "teamigrate", "lint", "--all", "--json"]
        cli_times, cli_cpu, findings = [], [], 0
        for _ in range(args.repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            result = subprocess.run(command, cwd=root, capture_output=True, text=True)
            cli_times.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            # CPU of teamigrate and the squawk processes it waited for: what the
            # command costs, whatever else the machine is busy with.
            cli_cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            if result.returncode not in (0, 1) or "error[TM6" in result.stderr and "TM605" not in result.stderr:
                raise SystemExit(f"lint failed: {result.stderr}")
            findings = result.stdout.count('"rule"')
        config = load_config(explicit=root / "teamigrate.yaml")
        core_times, core_cpu = [], []
        for _ in range(args.repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start, cpu_start = time.perf_counter(), time.process_time()
            diagnostics = lint_targets(all_targets(config), config.lint, root)
            core_times.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            squawk_cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            core_cpu.append(time.process_time() - cpu_start + squawk_cpu)
        assert len(diagnostics) == findings, (len(diagnostics), findings)
    load = os.getloadavg()[0]
    print(f"{args.migrations} migrations, {findings} findings, best of {args.repeat} (load average {load:.1f} on {os.cpu_count()} cores):")
    print(f"  teamigrate lint --all (subprocess): wall {min(cli_times):.3f} s (median {statistics.median(cli_times):.3f} s), cpu {min(cli_cpu):.3f} s")
    print(f"  core: select + lint_targets       : wall {min(core_times):.3f} s (median {statistics.median(core_times):.3f} s), cpu {min(core_cpu):.3f} s")
    print(f"  aim: under 2 s for the command -> {'met' if min(cli_times) < 2 else 'NOT met'} (wall clock)")


if __name__ == "__main__":
    main()

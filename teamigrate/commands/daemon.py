"""`teamigrate daemon`: start, stop and ask the process that keeps teamigrate loaded for the hooks' commands."""

from __future__ import annotations

from teamigrate import output
from teamigrate.daemon.control import daemon_status, start_daemon, stop_daemon


def start(idle_minutes: float) -> None:
    """Start the daemon: `check` and `lint` then skip Python's startup and imports (about 0.3 s each)."""
    status, started = start_daemon(idle_minutes * 60)
    output.line(f"teamigrate daemon {'started' if started else 'already running'} (pid {status.pid}); it stops after {status.idle_timeout / 60:g} idle minutes")


def stop() -> None:
    """Stop the daemon (commands then run on their own, as before)."""
    output.line("teamigrate daemon stopped" if stop_daemon() else "teamigrate daemon was not running")


def status() -> None:
    """Say whether the daemon runs, and how many commands it has run."""
    status = daemon_status()
    if status.running:
        output.line(f"teamigrate daemon: running (pid {status.pid}), {output.count(status.served, 'command')} run")
    else:
        output.line("teamigrate daemon: stopped")
    output.line(f"socket: {status.socket}")
    output.line(f"log:    {status.log}")

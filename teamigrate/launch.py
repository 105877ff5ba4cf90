"""The `teamigrate` command's entry point: a running daemon runs `check` and `lint` (the hooks' commands), else this process runs everything.

Starting Python and importing teamigrate, typer and psycopg takes about 0.3 s,
more than the pre-commit check itself once its schemas are cached. `teamigrate
daemon start` keeps a process with those modules imported; for each command it
forks a child that takes this process's stdin, stdout and stderr (passed over
the socket), working folder, environment and arguments. So this module imports
only the standard library: the daemon's answer must not wait for our imports.
"""

from __future__ import annotations

import os
import sys

# The commands a running daemon runs: the ones git hooks and the pre-commit framework run, where startup
# is most of the time. The daemon's protocol (socket, signal, json) is imported for these only.
FORWARDED = frozenset({"check", "lint"})
INTERRUPTED = 130  # cli.run's exit code after Ctrl-C


def main() -> None:
    try:
        _main()
    except SystemExit as done:
        _exit(done.code)
    _exit(0)


def _main() -> None:
    code = forward(sys.argv[1:]) if _forwardable(sys.argv[1:]) else None
    if code is not None:
        sys.exit(code)
    plain = _plain(sys.argv[1:])
    if plain is not None:
        _run_plain(*plain)
    from teamigrate.cli import main as run_here

    run_here()


def _exit(code: object) -> None:
    """End the process as sys.exit(code) would, without tearing down every module one by one.

    Python's finalisation frees each imported module's objects, about 8 ms of a `deploy` that
    takes 0.15 s. Once this thread is the only one left, what finalisation would still do that
    anyone can see is the atexit callbacks and the flush of stdout and stderr: done here, then
    os._exit. With other threads alive (unless after Ctrl-C), a profiler, or a stream that cannot be flushed,
    the ordinary exit.
    """
    threading = sys.modules.get("threading")
    # Other threads are waited for (the ordinary exit), except after Ctrl-C (130): one may wait for a database that
    # does not answer. So is a profiler or tracer that reports after the program (python -m cProfile -m teamigrate).
    waits = threading is not None and threading.active_count() > 1 and code != INTERRUPTED
    if waits or sys.getprofile() is not None or sys.gettrace() is not None:
        raise SystemExit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise SystemExit(status) from None  # a closed or broken stream: Python's own exit reports it
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()  # what a callback printed
        except (OSError, ValueError):
            pass
    os._exit(status & 0xFF)


# What runs without typer: the command, and the flags (all on/off) it may carry then; `new` takes its name
# as its one argument and `dev` as `--name NAME`. Importing typer and building the command line is a third
# of what `deploy` imports, 50 ms of the pre-commit hook's `check --staged` and 25 ms of `new` and `dev`.
# Anything else on the line (--help, --name=x, a name that looks like an option, a flag twice) is typer's.
_TYPER_FREE = {
    "deploy": frozenset(),
    "check": frozenset({"--staged", "--drift", "--json", "--no-cache"}),
    "new": frozenset({"--empty", "--online-safe", "--no-online-safe"}),
    "dev": frozenset({"--create-only", "--capture-drift", "--online-safe", "--no-online-safe"}),
}


def _plain(args: list[str]) -> tuple[str, str | None, bool, frozenset[str], str | None] | None:
    """(command, --config, --debug, flags, name) when the command line is one _TYPER_FREE takes; else None (typer parses it)."""
    config, debug, index = None, False, 0
    while index < len(args) - 1:
        if args[index] == "--debug":
            debug, index = True, index + 1
        elif args[index] == "--config" and not args[index + 1].startswith("-"):
            config, index = args[index + 1], index + 2
        else:
            break
    command, rest = (args[index], args[index + 1 :]) if index < len(args) else (None, [])
    if command not in _TYPER_FREE:
        return None
    flags: list[str] = []
    name: str | None = None
    words = iter(rest)
    for word in words:
        if word in _TYPER_FREE[command]:
            flags.append(word)
        elif command == "dev" and word == "--name" and name is None:
            name = next(words, "-")
            if name.startswith("-"):
                return None
        elif command == "new" and name is None and not word.startswith("-"):
            name = word
        else:
            return None
    if len(set(flags)) != len(flags) or {"--online-safe", "--no-online-safe"} <= set(flags) or (command == "new" and name is None):
        return None
    return command, config, debug, frozenset(flags), name


def _run_plain(command: str, config_path: str | None, debug: bool, flags: frozenset[str], name: str | None) -> None:
    """The command as cli runs it; a failure goes through cli's report (typer is imported then only)."""
    from pathlib import Path

    from teamigrate.config import load_config

    try:
        config = load_config(explicit=Path(config_path) if config_path else None)
        if command == "deploy":
            from teamigrate.commands.deploy import deploy

            code = deploy(config)
        elif command == "new":
            from teamigrate.commands.new import new_migration

            assert name is not None  # _plain leaves `new` without a name to typer's usage error
            code = new_migration(config, name, empty="--empty" in flags, online_safe=_online_safe(flags))
        elif command == "dev":
            from teamigrate.commands.dev import dev

            code = dev(config, name=name, create_only="--create-only" in flags, capture="--capture-drift" in flags, online_safe=_online_safe(flags))
        else:
            from teamigrate.commands.check import check

            code = check(config, staged="--staged" in flags, drift="--drift" in flags, as_json="--json" in flags, use_cache="--no-cache" not in flags)
    except (Exception, KeyboardInterrupt) as exc:
        from teamigrate.cli import run

        def again() -> None:
            raise exc

        run(again, debug=debug or os.environ.get("TEAMIGRATE_DEBUG") == "1")
    sys.exit(code)


def _online_safe(flags: frozenset[str]) -> bool | None:
    """--online-safe / --no-online-safe as typer gives them: None when neither is there (teamigrate.yaml decides)."""
    return True if "--online-safe" in flags else False if "--no-online-safe" in flags else None


def _forwardable(args: list[str]) -> bool:
    if _command(args) not in FORWARDED:
        return False
    import socket

    from teamigrate.daemon.protocol import ENV_DAEMON

    return os.environ.get(ENV_DAEMON) != "0" and hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds")


def _command(args: list[str]) -> str | None:
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--config":
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def forward(args: list[str]) -> int | None:
    """The command's exit code from the daemon; None when no daemon takes it (none runs, or it runs older code)."""
    import signal
    import socket

    from teamigrate.daemon.protocol import SOCKET_PATH_LIMIT, receive_message, send_message, socket_path

    path = socket_path()
    if len(path) > SOCKET_PATH_LIMIT or not os.path.exists(path):
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None  # a socket file left by a daemon that is gone
    with sock:
        try:
            send_message(sock, _request(args), _standard_fds())
            reply, _ = receive_message(sock)
        except OSError:
            return None
        if reply is None or "pid" not in reply:
            return None  # refused (stale code) before anything ran: run it here
        child = int(reply["pid"])
        forwarded = {sig: signal.signal(sig, lambda signum, _frame: _pass_on(child, signum)) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            reply, _ = receive_message(sock)
        finally:
            for sig, handler in forwarded.items():
                signal.signal(sig, handler)
    if reply is None or "exit" not in reply:
        sys.stderr.write("error[TM121]: the teamigrate daemon ended the command without an answer\n"
                         "hint: run `teamigrate daemon stop` and the command again; TEAMIGRATE_DAEMON=0 runs it without the daemon\n")
        return 1
    return int(reply["exit"])


def _pass_on(child: int, signum: int) -> None:
    try:
        os.kill(child, signum)
    except OSError:
        pass


def _request(args: list[str]) -> dict[str, object]:
    umask = os.umask(0)
    os.umask(umask)
    return {
        "argv": ["teamigrate", *args],
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "umask": umask,
        "encoding": [getattr(stream, "encoding", None) or "utf-8" for stream in (sys.stdin, sys.stdout, sys.stderr)],
    }


def _standard_fds() -> list[int]:
    """stdin, stdout and stderr; /dev/null for one that is closed."""
    fds = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:
            fds.append(os.open(os.devnull, os.O_RDWR))
    return fds

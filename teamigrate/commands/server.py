"""`teamigrate server`: the embedded server's status, start, stop, clear and repair; status and stop cover the shadow_pg_bin clusters too."""

from __future__ import annotations

from teamigrate import output
from teamigrate.config import Config
from teamigrate.database import mask_url
from teamigrate.errors import ServerError
from teamigrate.server.cluster import REBUILD_LOSES, PostgresCluster, embedded_cluster, pg_bin_clusters
from teamigrate.server.shadow import ShadowServer
from teamigrate.workspace.reader import clear_caches


def status() -> None:
    """Say whether each server teamigrate runs for this home is running, where, and which version."""
    status = embedded_cluster().status()
    state = f"running (pid {status.pid})" if status.running else "stopped"
    output.line(f"embedded PostgreSQL {status.version}: {state}")
    output.line(f"data:   {status.data_dir}")
    output.line(f"socket: {status.socket_dir}")
    if status.running:
        output.line(f"url:    {mask_url(status.url)}")
    # Indented, so that scripts reading the embedded server's `socket:` line (the guides do) still find only one.
    for cluster in pg_bin_clusters():
        status = cluster.status()
        state = f"running (pid {status.pid})" if status.running else "stopped"
        output.line(f"{_pg_bin_name(cluster)}: {state}")
        output.line(f"  data:   {status.data_dir}")
        output.line(f"  socket: {status.socket_dir}")
        if status.running:
            output.line(f"  url:    {mask_url(status.url)}")


def _pg_bin_name(cluster: PostgresCluster) -> str:
    return f"PostgreSQL {cluster.major_version} from {cluster.bin_dir}"


def start() -> None:
    """Start the embedded server now (commands start it on first use anyway)."""
    cluster = embedded_cluster()
    cluster.ensure_running()
    output.line(f"embedded PostgreSQL {cluster.major_version} running at {cluster.socket_dir}")


def clear(config: Config) -> None:
    """Drop the replay cache's template databases and empty the schema store (both are built again on use)."""
    templates, schemas = clear_caches(ShadowServer.for_config(config))
    output.line(f"dropped {output.count(templates, 'cached template')}, removed {output.count(schemas, 'stored schema')}")


def repair(yes: bool = False) -> None:
    """Bring back an embedded server that does not start: recover it keeping its data, else rebuild it after asking."""
    cluster = embedded_cluster()
    try:
        recovery = cluster.recover()
    except ServerError as failure:
        if failure.code != "TM110":
            raise
        output.note(f"repair could not start it with its data kept: {failure.message}")
        output.note("if its disk is full, freeing space there and running `teamigrate server repair` again keeps every database")
    else:
        for step in recovery.steps:
            output.line(step)
        if recovery.was_running:
            output.line(f"embedded PostgreSQL {cluster.major_version} runs at {cluster.socket_dir}: nothing to repair")
        else:
            output.line(f"embedded PostgreSQL {cluster.major_version} recovered at {cluster.socket_dir}: nothing was lost")
        return
    output.note(f"a rebuild deletes {cluster.data_dir} and makes a new, empty server; that loses:")
    for loss in REBUILD_LOSES:
        output.note(f"  - {loss}")
    if not yes:
        if not output.can_ask():
            raise ServerError("TM128", f"rebuilding the embedded server would delete {cluster.data_dir} and needs confirming",
                              "pass --yes to rebuild it (stdin is not a terminal, so repair cannot ask); nothing was deleted")
        if not output.confirm("Delete the embedded server's data and rebuild it?"):
            raise ServerError("TM128", "the rebuild was not confirmed; nothing was deleted", "run it again and answer y, or pass --yes")
    cluster.rebuild()
    output.line(f"embedded PostgreSQL {cluster.major_version} rebuilt at {cluster.socket_dir}: empty, its caches are built again on use")


def stop() -> None:
    """Stop the embedded server and every cluster run from another bin/ folder (shadow_pg_bin): each starts again on next use."""
    if embedded_cluster().stop():
        output.line("embedded PostgreSQL stopped")
    else:
        output.line("embedded PostgreSQL was not running")
    for cluster in pg_bin_clusters():
        if cluster.stop():
            output.line(f"{_pg_bin_name(cluster)} stopped")

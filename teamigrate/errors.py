"""The one error base of teamigrate and the registry of its stable diagnostic codes."""

from __future__ import annotations

from collections.abc import Sequence

# Every code teamigrate can print, with what it means and what to do about it.
# README.md lists each of them (a test keeps the two in step). Ranges:
# TM1xx config, server and connections; TM2xx migrations, teamigrate.sum and the
# history table; TM3xx schema engine; TM4xx developer workflow; TM5xx team
# workflow and git; TM6xx lint.
CODES: dict[str, str] = {
    # --- TM1xx: config, server, connections -------------------------------
    "TM100": "unexpected internal error (a bug: run again with --debug and report it)",
    "TM101": "no teamigrate.yaml found (run `teamigrate init`, or pass --config)",
    "TM102": "teamigrate.yaml is not valid YAML or not a mapping (fix the line named)",
    "TM103": "teamigrate.yaml has an unknown key (the hint names the closest valid key)",
    "TM104": "teamigrate.yaml names an environment variable that is not set (export it or give a default with ${VAR:-default})",
    "TM105": "a config value has the wrong type or form (fix the value named)",
    "TM106": "`init` found an existing project (nothing was written)",
    "TM110": "the embedded PostgreSQL server could not start (the message names the log's FATAL line; `teamigrate server repair` brings it back)",
    "TM111": "the database server cannot be reached (check host, port and that it runs)",
    "TM112": "the database does not exist (create it, or let teamigrate use the embedded server)",
    "TM113": "the shadow database would be the developer's own database (point shadow_database_url elsewhere)",
    "TM114": "PostgreSQL refuses to run as root and no user namespace could be made (run as a normal user or set shadow_database_url)",
    "TM115": "shadow_pg_bin or pg_bin is not a PostgreSQL bin/ folder",
    "TM116": "the shadow server lacks an extension the schema or a migration needs (the hint names a PostgreSQL bin/ folder here that has it for pg_bin, or use shadow_pg_bin / shadow_database_url)",
    "TM117": "the database refused the credentials",
    "TM118": "a database error the command could not recover from (the message is PostgreSQL's)",
    "TM120": "`daemon start` could not start the daemon (the hint names its log file, or says why it cannot run here)",
    "TM121": "the daemon ended a command without an answer (run `teamigrate daemon stop` and the command again)",
    "TM125": "the embedded server's socket folder is not yours alone: another user's, open to others, or a symbolic link (remove it, or set TEAMIGRATE_HOME to a shorter path)",
    "TM126": "teamigrate's folder (TEAMIGRATE_HOME) belongs to another user or is not writable by you (set TEAMIGRATE_HOME to a folder of your own)",
    "TM127": "teamigrate's folder (TEAMIGRATE_HOME) is writable by other users (chmod go-w it, or set TEAMIGRATE_HOME to a private folder)",
    "TM128": "`server repair` would rebuild the embedded server and was not confirmed: it needs --yes when stdin is not a terminal (nothing was deleted)",
    "TM129": "your database's server lacks an extension a migration, push or seed needs; the SQL is fine (set pg_bin to the PostgreSQL bin/ folder the hint names, or DATABASE_URL to a server that has it)",
    # --- TM2xx: migrations, teamigrate.sum, history table ------------------
    "TM200": "the migrations folder does not exist (run `teamigrate init`, or fix `migrations:` in teamigrate.yaml)",
    "TM201": "a migration folder's name is not YYYYMMDDHHMMSS_snake_case_name (rename the folder named)",
    "TM202": "a migration folder has no migration.sql (add it, or remove the folder)",
    "TM203": "a migration.sql is empty (write its SQL, or remove the folder)",
    "TM204": "a migration.sql or down.sql is not plain UTF-8 text: bad bytes, a byte-order mark or NUL bytes (re-save the file named as UTF-8 without BOM)",
    "TM205": "a migration has an unknown `-- teamigrate:` directive (use no-transaction, allow <rule>, replaces ID …, lock-timeout 30s or statement-timeout 10min)",
    "TM206": "teamigrate.sum is missing (run `teamigrate hash` and commit it)",
    "TM207": "teamigrate.sum does not match the migrations: one was added, removed or edited (restore it, or run `teamigrate hash` if the change is intended)",
    "TM208": "teamigrate.sum's first line does not match the lines below: the file was edited by hand (run `teamigrate hash`)",
    "TM209": "teamigrate.sum holds git conflict markers from a merge or rebase (run `teamigrate rebase`)",
    "TM210": "teamigrate.sum has a line that is not `<id> h1:<hash>` (run `teamigrate hash`)",
    "TM211": "a migration failed: PostgreSQL refused a statement (fix the line named, then `teamigrate resolve --rolled-back ID` and deploy again)",
    "TM212": "a migration holds SQL teamigrate cannot run: COPY FROM stdin data or psql meta-commands like \\i, \\set (use INSERT, or run it with psql)",
    "TM213": "a transactional migration runs BEGIN/COMMIT/ROLLBACK itself (remove them, or make the first line `-- teamigrate: no-transaction`)",
    "TM214": "a migration failed earlier and is not resolved (fix it, then `teamigrate resolve --rolled-back ID`)",
    "TM215": "an applied migration's file was edited since it was applied (restore the file, or `teamigrate hash` and `teamigrate resolve`)",
    "TM216": "`resolve` names a migration that is not in this checkout or the history table (check the id with `teamigrate status`)",
    "TM217": "`resolve --applied` names a migration that is already applied (nothing to do)",
    "TM218": "`resolve --rolled-back` names a migration that is not failed (only failed migrations can be marked rolled back)",
    "TM219": "`resolve` needs exactly one of --applied ID or --rolled-back ID",
    "TM221": "the history table exists but is not teamigrate's (set another history_table in teamigrate.yaml)",
    "TM222": "a migration has no down.sql, so it cannot be rolled back (write its down.sql)",
    "TM223": "the migrations folder, a migration folder, migration.sql, down.sql or teamigrate.sum leads outside the project, through a symlink or `migrations:` (replace the link with the file itself; nothing was read or written)",
    "TM224": "the database role may not read or write the history table (grant it the privileges the hint names, or set another history_table)",
    "TM230": "a migration timed out waiting for its locks on every try and is still pending (end the blocking sessions the message names, or raise deploy.lock_timeout / deploy.retries)",
    "TM231": "a migration renamed, dropped or altered the history table; its transaction was rolled back and it is still pending (remove that statement)",
    # --- TM3xx: schema engine ----------------------------------------------
    # schema sources, `diff` and the proof by replay (lead)
    "TM301": "a schema source (--from/--to) is not one teamigrate knows (see `teamigrate diff --help`)",
    "TM302": "a schema file or folder is missing or not UTF-8 (fix `schema:` or the file)",
    "TM303": "a schema file has SQL PostgreSQL rejects (fix the file and line named)",
    "TM304": "a git ref names no commit (check the branch, tag or commit)",
    "TM305": "pg_dump could not copy a live database into the shadow: it is unreachable, or its schema does not load into a shadow of an older major version (set shadow_pg_bin to the source's version)",
    "TM306": "the shadow server refused to create or drop a scratch database (its role needs CREATEDB; or set shadow_database_url to a server where it has it)",
    "TM310": "SQL teamigrate generated failed in the shadow (a bug: write the change by hand with `new --empty`, report it)",
    "TM311": "SQL teamigrate generated did not reach the target schema (a bug: write the change by hand, report it)",
    "TM312": "a change only you can write: a column type change PostgreSQL has no cast for, or an extension version with no update path (the hint gives the statement to complete in `new --empty`)",
    "TM313": "a collation whose definition changes is used by columns, indexes or domains: PostgreSQL can only drop and create it, so move them to another collation first (the message names them)",
    # introspection (schema engine core)
    "TM320": "the database runs a PostgreSQL older than 15, which teamigrate cannot read (upgrade it, or point at a newer server)",
    "TM321": "reading the database's catalog failed (the message is PostgreSQL's; check the role may read pg_catalog)",
    # --- TM4xx: developer workflow -----------------------------------------
    "TM401": "`new`, `dev` or `push` needs a schema source and teamigrate.yaml names none (set `schema: schema.sql`, or write the migration by hand with `new NAME --empty`)",
    "TM402": "your database differs from the migrations applied to it: drift (keep it with `teamigrate dev --capture-drift`, or discard it with `teamigrate reset`)",
    "TM403": "`dev` must name the new migration and cannot ask: stdin is not a terminal (pass --name NAME)",
    "TM404": "your database has migrations applied that this checkout lacks, e.g. another branch's (run `teamigrate sync`, or check that branch out)",
    "TM405": "`push` would drop data (review the statements listed, then pass --accept-data-loss)",
    "TM406": "`reset` refuses a database that is not on this machine (check database_url; pass --force if you really mean it)",
    "TM407": "`reset` was not confirmed: it needs --yes when stdin is not a terminal (nothing was dropped)",
    "TM408": "no seed is configured (set `seed: seed.sql` or a shell command in teamigrate.yaml)",
    "TM409": "the seed file is missing or not UTF-8 (fix `seed:` in teamigrate.yaml, or the file)",
    "TM410": "the seed SQL failed; nothing of it was kept (fix the file and line named, then `teamigrate seed`)",
    "TM411": "the seed command exited with an error (run it by hand with DATABASE_URL set to see why)",
    "TM412": "`rollback` needs exactly one of --steps N (N >= 1) or --to ID",
    "TM413": "`rollback` asks for more than is applied: --to names no applied migration, or --steps exceeds them (see `teamigrate status`)",
    "TM414": "`squash` was given a range it cannot squash: an id not in this checkout, --from after --to, or fewer than two migrations",
    "TM415": "the squashed migration's id would not sort where its range was (choose another --name, or rename the migration after the range)",
    "TM416": "the squashed history does not build the same schema as the old one (a bug: keep the old migrations and report it)",
    "TM417": "the database applied only part of the migrations a squash replaces (check out the commit before the squash and `teamigrate deploy`, or `teamigrate reset`)",
    "TM418": "`baseline` found migrations already (in the folder or the database's history); a baseline is the first migration (use `teamigrate new`, or `baseline --from-prisma` for a database Prisma Migrate managed)",
    "TM419": "`baseline --from-prisma` found no _prisma_migrations table in the database, or one without Prisma's columns (check --url or DATABASE_URL)",
    "TM420": "`baseline --from-prisma`: a migration.sql differs from what Prisma Migrate applied, by its checksum; nothing was recorded (restore the file, then run it again)",
    "TM421": "`baseline --from-prisma`: Prisma Migrate applied a migration this checkout has no folder for; nothing was recorded (check out the commit that has it)",
    "TM422": "`baseline --from-prisma`: _prisma_migrations has a failed row (not finished, not rolled back); nothing was recorded (`prisma migrate resolve` it, or `teamigrate resolve --applied ID`, then run it again)",
    "TM430": "`snapshots` refuses a database server that may not be this machine (check database_url; pass --force if you mean that server)",
    "TM431": "`snapshots drop` names no snapshot of your database (`teamigrate snapshots` lists their names; nothing was dropped)",
    "TM432": "`snapshots drop` needs one snapshot's name or --all",
    # --- TM5xx: team workflow and git --------------------------------------
    "TM500": "not inside a git repository (run `git init`, or run the command in your repository)",
    "TM501": "a git command failed (the message is git's; fix what it names)",
    "TM502": "git config core.hooksPath is set, so git would not run hooks installed in .git/hooks (unset it, or `hooks install --force` to install there)",
    "TM503": "a hook that is not teamigrate's and its .legacy copy both exist (merge them into one, then install again)",
    "TM504": "`rebase` cannot tell which migrations are the other side's: no merge or rebase in progress and main_branch names no branch (fetch it, or set main_branch)",
    "TM505": "`rebase` found conflicts in files other than teamigrate.sum (resolve those by hand first, then run `teamigrate rebase` again)",
    "TM506": "after `rebase`, the replayed history differs from the schema source (fix the migrations or schema.sql until they agree)",
    "TM507": "`sync` would roll back a migration that stored no down SQL (run `teamigrate reset` to rebuild the database from this checkout)",
    "TM508": "`sync` applied everything but the database still differs from the replayed history (inspect the objects named; `teamigrate reset` rebuilds it)",
    "TM509": "a squash replaces migrations on main_branch together with migrations that are not: a database at main applied only part of its range (squash only migrations on main)",
    "TM510": "`check --base REF` names no commit here (fetch the ref first; in CI, check out with fetch-depth: 0)",
    # `check` and `changes` (lead)
    "TM520": "a migration that is already committed (on main_branch or in HEAD) was edited (restore it and put the change in a new migration)",
    "TM521": "a migration new on this branch sorts before the newest migration on main_branch (run `teamigrate rebase`)",
    "TM522": "a migration that is on main_branch is missing from this checkout (restore it with git checkout)",
    "TM523": "lint found an error-level problem in a migration new on this branch (fix it, or allow a reviewed exception inline)",
    "TM524": "the schema source differs from the replayed migrations: a schema change with no migration (run `teamigrate new <name>`)",
    "TM525": "the developer's database differs from the replayed migrations (run `teamigrate dev --capture-drift` or `teamigrate reset`)",
    "TM540": "`changes` was given two refs with no common history (compare branches of one repository)",
    "TM541": "a history holds a squash after only part of the migrations it replaces, which deploy refuses (TM417): it cannot be replayed to compare (squash only migrations on main)",
    # --- TM6xx: lint ---------------------------------------------------------
    "TM601": "the squawk linter is not installed or TEAMIGRATE_SQUAWK names no file (pip install squawk-cli)",
    "TM602": "squawk could not run, crashed or timed out (reinstall it: pip install --force-reinstall squawk-cli)",
    "TM603": "squawk printed something other than its JSON report (install a squawk-cli that supports --reporter json)",
    "TM604": "a path given to `lint` does not exist or is not a readable .sql file or migration folder (pass migration files or folders)",
    "TM605": "lint found error-level findings (fix them, or allow a reviewed exception with `-- teamigrate: allow <rule>`)",
    "TM606": "lint.disable or lint.levels names a rule that does not exist (fix the spelling; the message names the rule)",
}


class TeamigrateError(Exception):
    """A failure the user can act on: a stable code, one line of what, one line of how."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        if code not in CODES:
            raise ValueError(f"unregistered diagnostic code {code}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"error[{self.code}]: {self.message}"


class ConfigError(TeamigrateError):
    """teamigrate.yaml is missing, malformed or names something that does not exist."""


class ServerError(TeamigrateError):
    """The embedded or shadow PostgreSQL server cannot be used."""


class DatabaseError(TeamigrateError):
    """A connection or statement failed; the message never holds a password."""


class MigrationError(TeamigrateError):
    """A migration folder or teamigrate.sum is not as it must be."""

    def __init__(self, code: str, message: str, hint: str = "", migration_id: str | None = None) -> None:
        super().__init__(code, message, hint)
        self.migration_id = migration_id


class CheckFailed(TeamigrateError):
    """One or more findings of `check` (each with its own code)."""

    def __init__(self, code: str, message: str, hint: str = "", findings: Sequence[object] = ()) -> None:
        super().__init__(code, message, hint)
        self.findings = list(findings)

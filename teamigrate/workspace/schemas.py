"""The workspace: schemas of sources, histories and schema files, built in the shadow database and read the cheapest exact way.

One object made from the config; every command that needs a schema asks it
(`of_history`, `of_files`, `of_source`, `database`), and it holds the shadow
server, the schema store and the replay cache behind them.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from functools import cached_property

import psycopg

from teamigrate.config import Config
from teamigrate.database import connect, mask_url, quote_ident, url_database
from teamigrate.errors import TeamigrateError
from teamigrate.history.migrations import Migration
from teamigrate.schema.model import Schema
from teamigrate.server.shadow import ShadowServer
from teamigrate.workspace.files import SqlFile, load_sql_files, run_sql_text
from teamigrate.workspace.reader import SchemaReader
from teamigrate.workspace.replay_cache import replayed_history
from teamigrate.workspace.sources import Source, read_source


# Databases loaded from a live database's pg_dump, named by the dump's hash; the newest few are kept.
DUMP_PREFIX = "teamigrate_dump_"
DUMP_TEMPLATES_KEPT = 4
_IN_USE_POLLS = 80
# The largest database copied into the memory tablespace for a proof.
MEMORY_COPY_LIMIT = 1 << 30


class Workspace:
    """Builds sources as databases on the shadow server and reads their schemas."""

    def __init__(self, config: Config, shadow: ShadowServer, on_note: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.shadow = shadow
        self.on_note = on_note or (lambda text: None)
        # Live databases of another major version than the shadow's, read through a copy in the shadow instead.
        self._read_in_shadow: set[str] = set()
        # pg_dump of live databases on other servers, started ahead (dumps_ahead) for the copy that will be wanted.
        self._dumps: dict[str, _DumpAhead] = {}
        self._copies: dict[str, _CopyAhead] = {}

    @classmethod
    def for_config(
        cls, config: Config, user_database_url: str | None = None, sources: Sequence[Source] = (), on_note: Callable[[str], None] | None = None,
    ) -> Workspace:
        """The workspace on the config's shadow server, which must not be `user_database_url` (default: database_url).

        With `sources`, a live database among them of another major version than the shadow gets a shadow of its own
        version where this machine has one, else is read through a copy in the shadow (see match_versions).
        """
        workspace = cls(config, ShadowServer.for_config(config, user_database_url=user_database_url), on_note)
        urls = [s.url for s in sources if s.kind == "url" and s.url]
        if urls:
            workspace.match_versions(urls)
        elif user_database_url:
            # The commands that compare the developer's database with a history built in the shadow (dev's drift
            # check, push, sync, baseline): a database on another version would seem to have drifted (a view's text).
            workspace.match_versions([user_database_url], reachable_only=True)
        return workspace

    def match_versions(self, urls: Sequence[str], *, reachable_only: bool = False) -> None:
        """Version skew: the same object is written differently by another major version's deparser (pg_get_viewdef
        changed in 16), so databases are compared as one server version writes them. When every live database runs one
        major version and this machine has its binaries, the shadow runs that version; otherwise each database of
        another version is read through a copy in the shadow (re-deparsed there, as the other side is)."""
        if not urls:
            return
        from teamigrate.server.cluster import embedded_bin_dir, embedded_cluster, pg_bin_cluster
        from teamigrate.server.versions import bin_folder_for, server_major

        try:
            majors = {url: server_major(url) for url in urls}
        except TeamigrateError:
            if reachable_only:
                return  # not there yet (dev creates it): the command says so itself
            raise
        shadow_major = self.shadow.admin().info.server_version // 10000
        if all(major == shadow_major for major in majors.values()):
            return
        if reachable_only and self.config.shadow_pg_bin:
            return  # the shadow's version was chosen (production's, or for its extensions): the developer's database does not move it
        versions = sorted(set(majors.values()))
        if len(versions) == 1 and not self.config.shadow_database_url:
            embedded = embedded_bin_dir()
            folder = bin_folder_for(versions[0], (self.config.shadow_pg_bin, self.config.pg_bin, embedded))
            if folder is not None:
                try:
                    cluster = embedded_cluster() if folder == embedded else pg_bin_cluster(folder)
                    cluster.ensure_running()
                except TeamigrateError as failed:
                    # A shadow that will not start must not refuse a diff that one version's deparser can still make.
                    self.on_note(f"a PostgreSQL {versions[0]} shadow from {folder} did not start ({failed.message})")
                else:
                    self.shadow = ShadowServer(cluster.url(), cluster)
                    self.on_note(f"the databases run PostgreSQL {versions[0]}, the shadow PostgreSQL {shadow_major}: comparing on a PostgreSQL {versions[0]} shadow ({folder})")
                    return
        if reachable_only:
            return  # read directly by the command, not through database(): nothing to re-deparse here
        self._read_in_shadow = {url for url, major in majors.items() if major != shadow_major}
        others = " and ".join(str(v) for v in versions if v != shadow_major)
        why = ("shadow_database_url names the shadow" if self.config.shadow_database_url else
               "the databases run different versions" if len(versions) > 1 else f"no PostgreSQL {others} shadow here; shadow_pg_bin can name its binaries")
        self.on_note(f"databases on PostgreSQL {others}, the shadow on {shadow_major}: both sides compared as PostgreSQL {shadow_major} writes them ({why})")

    @property
    def exclude_tables(self) -> tuple[tuple[str, str], ...]:
        return ((self.config.history_schema, self.config.history_name),)

    @cached_property
    def reader(self) -> SchemaReader:
        return SchemaReader(self.shadow, self.exclude_tables)

    def of_history(self, migrations: Sequence[Migration]) -> Schema:
        return self.reader.of_history(migrations)

    def of_files(self, files: Sequence[SqlFile]) -> Schema:
        return self.reader.of_files(files)

    def of_source(self, source: Source) -> Schema:
        value = read_source(source, self.config)
        if value.kind == "files":
            return self.of_files(value.files)
        if value.kind == "migrations":
            return self.of_history(value.migrations)
        with self.database(source) as url:
            return self.introspect(url)

    @contextmanager
    def database(self, source: Source) -> Iterator[str]:
        """A database in the source's state: the live one for a URL, else a scratch one."""
        value = read_source(source, self.config)
        if value.kind == "url":
            assert value.url is not None
            if value.url in self._read_in_shadow:
                with self.copy_of(value.url) as copy:
                    yield copy
                return
            yield value.url
            return
        if value.kind == "migrations":
            with replayed_history(self.shadow, value.migrations) as url:
                yield url
            return
        with self.shadow.scratch() as url:
            if value.files:
                load_sql_files(url, value.files)
            yield url

    def introspect_all(self, urls: Sequence[str]) -> list[Schema]:
        """Several databases at once: most of the time is the server's catalog queries, which run side by side.

        A copy waiting for one of them to be read (copy_ahead once_read) begins then only if it surely differs from
        another (their object tallies differ): two schemas that turn out equal want no proof."""
        if len(urls) < 2:
            return [self.introspect(url) for url in urls]
        tallies = _Tallies(urls) if any(url in self._copies and not self._copies[url].begun for url in urls) else None
        with ThreadPoolExecutor(max_workers=len(urls)) as pool:
            return list(pool.map(lambda url: self.introspect(url, tallies), urls))

    def introspect(self, url: str, tallies: _Tallies | None = None) -> Schema:
        from teamigrate.schema.introspect import introspect, object_tally, read_catalog

        ahead = self._copies.get(url)
        try:
            with connect(url) as conn:
                if tallies is not None:
                    tallies.put(url, object_tally(conn))
                if ahead is None or ahead.begun or (tallies is not None and not tallies.differ(url)):
                    return introspect(conn, exclude_tables=self.exclude_tables)
                ahead.want()  # where the copy goes is looked up while this session reads
                rows = read_catalog(conn)
        finally:
            if tallies is not None:
                tallies.put(url, None)  # none from a session that failed: no one waits for it
        # Its session gone, the database can be the template of the copy waiting for it, made while the model is built.
        ahead.begin()
        return rows.schema(exclude_tables=self.exclude_tables)

    @contextmanager
    def copy_of(self, url: str) -> Iterator[str]:
        """A scratch copy of a database's schema: by template on the shadow server, else by pg_dump; in the memory
        tablespace where there is one with room (server.memory: a 2,000-table database is 13,000 files, copied in
        0.2 s there and in 3-10 s on a virtual disk). The one copy_ahead began, when there is one."""
        ahead = self._copies.pop(url, None)
        with ExitStack() as stack:
            copy = ahead.taken(stack) if ahead is not None else None
            yield copy if copy is not None else stack.enter_context(self._new_copy(url))

    @contextmanager
    def copy_ahead(self, url: str | None, *, once_read: bool = False) -> Iterator[None]:
        """Begin a copy of `url` (None: none) on another thread, beside what the block does first (the diff), for the
        proof's copy_of to take; one not taken by the end of the block is dropped (stopped if still being made).

        `once_read`: a database on the shadow server (copied by template) is copied as soon as `introspect` has read
        it, beside the rest of the block's reading; one on another server (a pg_dump to load) is not begun here."""
        if url is not None and url in self._copies and not once_read:
            self._copies[url].begin()  # one waiting to be read: now wanted after all (equal tallies, unequal schemas)
        if url is None or url in self._copies or (once_read and url_database_on(self.shadow, url) is None):
            yield
            return
        signals = _CopySignals()
        if not once_read:
            signals.begin()
        # Begun early, it is made by template only: when a session stays on the template, the proof copies it as before.
        ahead = self._copies[url] = _CopyAhead(self._new_copy(url, signals, by_dump=not once_read), signals, self.shadow)
        try:
            yield
        finally:
            if self._copies.get(url) is ahead:
                del self._copies[url]
                ahead.drop()

    @contextmanager
    def _new_copy(self, url: str, signals: _CopySignals | None = None, *, by_dump: bool = True) -> Iterator[str]:
        """A copy of `url`; made ahead (`signals`), it waits to be wanted (the sides differ) to look up where it goes,
        and for its template's own reading to be done to copy it; it is given up when unwanted before its CREATE
        DATABASE is sent, or (not `by_dump`) when it cannot be made by template."""
        unwanted = signals.unwanted if signals is not None else None
        if signals is not None:
            signals.wait("wanted")
        name = url_database_on(self.shadow, url)
        # Looked up while the template is still read: pg_database_size of 13,000 files takes 0.03-0.1 s.
        tablespace = self._copy_tablespace(name) if name is not None else None
        if signals is not None:
            signals.wait("go")
        with ExitStack() as stack:
            copy = None
            # PostgreSQL waits 5 s for the other sessions on a template to leave before it gives up: ask first.
            if name is not None and not self._in_use(name, unwanted):
                if unwanted is not None and unwanted.is_set():
                    raise _Unwanted
                try:
                    copy = stack.enter_context(self.shadow.scratch(template=name, tablespace=tablespace))
                except psycopg.errors.ObjectInUse:
                    pass  # someone is connected to it (a psql session): copy it with pg_dump instead
            if copy is None:
                if not by_dump:
                    raise _Unwanted
                template = self._dump_template(url)
                copy = stack.enter_context(self.shadow.scratch(template=template, tablespace=self._copy_tablespace(template)))
            yield copy

    def _copy_tablespace(self, template: str) -> str | None:
        """The memory tablespace when tmpfs has room for four times the template (a plan may rewrite its tables);
        a database with much data (a developer's, copied whole) stays on disk: its time is its bytes, not its files."""
        from teamigrate.server.memory import memory_tablespace

        row = self.shadow.admin().execute("SELECT pg_database_size(%s)", (template,)).fetchone()
        size = int(row[0]) if row and row[0] is not None else 0
        return memory_tablespace(self.shadow, needs=4 * size) if size <= MEMORY_COPY_LIMIT else None

    def _dump_template(self, url: str) -> str:
        """A database on the shadow loaded from pg_dump of `url`, kept under the dump's hash: loading 2,000 tables takes
        seconds, dumping them one, so a database dumped the same as before (production, between two diffs) is not loaded again."""
        ahead = self._dumps.pop(url, None)
        dump = ahead.text() if ahead is not None else _pg_dump_schema(self.shadow, url)
        template = DUMP_PREFIX + hashlib.sha256(dump.encode()).hexdigest()[:24]
        if self.shadow.database_exists(template):
            return template
        with self.shadow.scratch() as building:
            with connect(building) as conn:
                _load_dump(conn, dump, url)
            admin = self.shadow.admin()
            try:
                # Renamed once loaded, so no one copies it half-loaded.
                admin.execute(f"ALTER DATABASE {quote_ident(url_database(building))} RENAME TO {quote_ident(template)}")
            except psycopg.errors.DuplicateDatabase:
                pass  # another command loaded the same dump first: the scratch one is dropped
        kept = [name for (name,) in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY oid DESC", (DUMP_PREFIX + "%",)).fetchall()]
        for name in kept[DUMP_TEMPLATES_KEPT:]:
            if name != template:
                self.shadow.drop_database(name)
        return template


    @contextmanager
    def dumps_ahead(self, urls: Sequence[str]) -> Iterator[None]:
        """pg_dump of each live database among `urls` that the shadow cannot copy by template (on another server),
        started now: it runs beside the introspection, and the proof's copy is loaded from it instead of a pg_dump
        started after the diff (0.5 s for 2,000 tables). One not used by the end of the block is stopped."""
        started = {url: _DumpAhead(url) for url in dict.fromkeys(urls) if url not in self._dumps and url_database_on(self.shadow, url) is None}
        self._dumps.update(started)
        try:
            yield
        finally:
            for url, dump in started.items():
                if self._dumps.get(url) is dump:
                    del self._dumps[url]
                    dump.stop()

    def _in_use(self, name: str, unwanted: threading.Event | None = None) -> bool:
        """Sessions on `name` that stay: a session closed a moment ago (this command's own introspection) is still
        listed until its server process has exited, so it is given a few tenths of a second to go (unless the copy
        is `unwanted` meanwhile: _Unwanted)."""
        for _ in range(_IN_USE_POLLS):
            if unwanted is not None and unwanted.is_set():
                raise _Unwanted
            row = self.shadow.admin().execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchone()
            if not (row and row[0]):
                return False
            time.sleep(0.005)
        return True


def url_database_on(shadow: ShadowServer, url: str) -> str | None:
    """The database's name when it surely lives on the shadow server (so it can be a template); None sends it through pg_dump."""
    from teamigrate.database import connection_parameters, same_server
    from teamigrate.errors import DatabaseError

    try:
        params = connection_parameters(url)
        on_shadow = same_server(params, connection_parameters(shadow.admin_url))
    except DatabaseError:
        return None
    # Only when certain: a database of the same name on another server would be copied in its place.
    return params.dbname if on_shadow is True else None


# `SET name = value;` at the top of a dump: the session settings pg_dump writes for its own version.
_DUMP_SETTING = re.compile(r"^SET (\w+) = .*;$")


def _load_dump(conn: psycopg.Connection, dump: str, url: str) -> None:
    """Load pg_dump's schema into the shadow; a shadow of an older major version skips the settings it does not know."""
    known = {name for (name,) in conn.execute("SELECT name FROM pg_settings").fetchall()}
    # pg_dump 18 writes `SET transaction_timeout = 0;`, which PostgreSQL 15 and 16 refuse; the setting only
    # guards the restore session, so leaving it out changes no object.
    lines = [line for line in dump.splitlines() if not ((match := _DUMP_SETTING.match(line)) and match.group(1) not in known)]
    try:
        run_sql_text(conn, "\n".join(lines))
    except psycopg.Error as exc:
        version = conn.info.server_version // 10000
        message = (exc.diag.message_primary or str(exc)).strip()
        raise TeamigrateError(
            "TM305",
            f"the schema of {mask_url(url)} does not load into the shadow server (PostgreSQL {version}): {mask_url(message)}",
            "run the shadow on the source's major version: set shadow_pg_bin to that version's bin folder (or shadow_database_url)",
        ) from None


def _pg_dump_schema(shadow: ShadowServer, url: str) -> str:
    result = subprocess.run(_pg_dump_arguments(url), capture_output=True, text=True)
    return _dump_text(url, result.returncode, result.stdout, result.stderr)


def _pg_dump_arguments(url: str) -> list[str]:
    from teamigrate.server.cluster import embedded_bin_dir

    return [str(embedded_bin_dir() / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges", "--dbname", url]


def _dump_text(url: str, returncode: int, stdout: str, stderr: str) -> str:
    if returncode != 0:
        raise TeamigrateError("TM305", f"pg_dump of {mask_url(url)} failed: {mask_url(stderr.strip())}", "check that the database is reachable")
    # pg_dump 18 guards its output with \restrict lines that only psql understands.
    return "\n".join(line for line in stdout.splitlines() if not line.startswith("\\"))


class _Tallies:
    """Each database's object tally (schema.introspect.object_tally), put by the thread that reads it."""

    def __init__(self, urls: Sequence[str]) -> None:
        self._put = {url: threading.Event() for url in urls}
        self._tally: dict[str, tuple[int, ...] | None] = {}

    def put(self, url: str, tally: tuple[int, ...] | None) -> None:
        if not self._put[url].is_set():
            self._tally[url] = tally
            self._put[url].set()

    def differ(self, url: str) -> bool:
        """Whether `url`'s tally surely differs from another database's (an unknown one counts as different)."""
        others = [other for other in self._put if other != url]
        for other in others:
            self._put[other].wait()
        return any(self._tally[other] is None or self._tally[other] != self._tally[url] for other in others)


class _Unwanted(Exception):
    """A copy ahead given up before its CREATE DATABASE was sent: no longer wanted, or not to be made by template."""


class _CopySignals:
    """What a copy made ahead waits for: `wanted` (the sides differ: where it goes is looked up), `go` (its template's
    reading done: it is made), and `unwanted` (given up; the other two are set with it, so that nothing waits)."""

    def __init__(self) -> None:
        self.wanted, self.go, self.unwanted = threading.Event(), threading.Event(), threading.Event()

    def want(self) -> None:
        self.wanted.set()

    def begin(self) -> None:
        self.wanted.set()
        self.go.set()

    def give_up(self) -> None:
        self.unwanted.set()
        self.begin()

    def wait(self, event: str) -> None:
        getattr(self, event).wait()
        if self.unwanted.is_set():
            raise _Unwanted


class _CopyAhead:
    """A copy being made on a thread of its own as its signals say: taken (and dropped by the taker), or dropped
    unused, a CREATE DATABASE still under way cancelled (PostgreSQL removes what it had copied)."""

    def __init__(self, making: AbstractContextManager[str], signals: _CopySignals, shadow: ShadowServer) -> None:
        self.making, self.signals, self.shadow = making, signals, shadow
        pool = ThreadPoolExecutor(max_workers=1)
        self.made: Future[str] = pool.submit(making.__enter__)
        pool.shutdown(wait=False)

    @property
    def begun(self) -> bool:
        return self.signals.go.is_set()

    def want(self) -> None:
        self.signals.want()

    def begin(self) -> None:
        self.signals.begin()

    def taken(self, stack: ExitStack) -> str | None:
        """The copy (None: given up, to be made another way); what making it raised, raised here."""
        self.signals.begin()
        try:
            copy = self.made.result()
        except _Unwanted:
            return None
        stack.push(self.making.__exit__)
        return copy

    def drop(self) -> None:
        self.signals.give_up()
        if not self.made.done():
            # On the maintenance connection the copy is made on; a cancel that finds it idle is ignored by the server.
            self.shadow.admin().cancel_safe()
        try:
            self.made.result()
        except Exception:  # noqa: BLE001 - a copy no one took: its failure (or its cancelling) is no one's either
            return
        self.making.__exit__(None, None, None)


class _DumpAhead:
    """pg_dump of a database running in the background, into temporary files (a pipe would stall it when full)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.out, self.err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        self.process = subprocess.Popen(_pg_dump_arguments(url), stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err)

    def text(self) -> str:
        try:
            returncode = self.process.wait()
            self.out.seek(0)
            self.err.seek(0)
            return _dump_text(self.url, returncode, self.out.read().decode(), self.err.read().decode(errors="replace"))
        finally:
            self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.out.close()
        self.err.close()

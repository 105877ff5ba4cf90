"""The peers' own test cases (migra's fixtures, stripe/pg-schema-diff's acceptance cases) as teamigrate's: every case
converges by pg_dump, or is a refusal that is right; never a silent mismatch. On PostgreSQL 18 and 15.

A case runs the path a user's `diff` takes: both sides loaded and introspected, the plan applied to the source as
`deploy` applies the migration made from it (one transaction when it can), then the proof's checks in its order: a
second diff must be empty (else the proof refuses: TM311) and, where the proof compares pg_dump too (a plan over
partitioned or inherited tables), pg_dump must agree (else TM311). pg_dump of the result is then compared with the
target's whatever the proof said: a difference the proof did not see is a silent mismatch, which fails even a case
listed as a known gap.

The PostgreSQL 15 run loads both sides on a PostgreSQL 15 cluster and compares them there: where this machine has
that version's binaries, the product's shadow runs that version for such sources (workspace.Workspace.match_versions).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import psycopg
import pytest

from teamigrate.database import connect
from teamigrate.errors import TeamigrateError
from teamigrate.server.shadow import ShadowServer
from teamigrate.workspace.dump_check import needs_dump_check
from teamigrate.workspace.proof import refuse_if_by_hand
from tests.schema.pgdump_oracle import assert_same_schema, dump_schema, normalise
from tests.conftest import Project
from tests.schema.reused_databases import DatabasePool, Slot, load_into
from tests.schema.test_roundtrip import load_sql, pg15_server  # noqa: F401 - pg15_server is a fixture

PEERS = Path(__file__).parent / "peers"
SUITES = ("migra", "pg-schema-diff")
CASES = sorted(f"{suite}/{path.name}" for suite in SUITES for path in (PEERS / suite).iterdir() if (path / "a.sql").is_file())
SERVERS = ("pg18", "pg15")
STATUS_FILE = Path(os.environ.get("TEAMIGRATE_PEERS_STATUS", "/work/helpers/peers_status.txt"))

# Cases whose files do not load on a server as it is here: case → (servers, why). README.md lists them too.
UNLOADABLE: dict[str, tuple[tuple[str, ...], str]] = {
    "migra/collations": (("pg18",), "ICU collations: the embedded PostgreSQL 18 is built without ICU (it loads on 15)"),
}

# Refusals that are right: no tool can make the change without a person. case → reason. The product must refuse
# with a TM error (the proof's TM310/TM311, or the differ's own).
NO_CAST = "bigint → timestamp has no cast: the USING expression (epoch seconds? milliseconds?) is the user's to write"
RIGHT_REFUSALS: dict[str, str] = {
    "pg-schema-diff/column__change_bigint_to_timestamp_validate_conversion_and_analyze": NO_CAST,
    "pg-schema-diff/foreign_key_constraint__alter_non_castable_type_change": NO_CAST,
    "pg-schema-diff/table__alter_table_translate_bigint_type_to_timestamp_set_to_not_null_set_default": NO_CAST,
}

# Cases that still fail for work in progress: case → (category, what fails). Categories: "partition facts" (engineer
# A2, the model), "dependency order" (A1, the differ), "version skew" (B, proof and shadow). Strict: a fix that makes
# the case converge fails the run until its line is removed here. A third item names the only servers it fails on.
PARTITION = "partition facts"
_PSD = "pg-schema-diff/"
KNOWN_GAPS: dict[str, tuple[str, str] | tuple[str, str, tuple[str, ...]]] = {
}


class Refused(AssertionError):
    """The product refuses the case (its proof or its differ), with a TM code."""


class SilentMismatch(AssertionError):
    """The product's proof passed, but pg_dump of the result differs from the target's: the one bug that must not exist."""


def _params() -> Iterator[Any]:
    for server in SERVERS:
        for case in CASES:
            marks: list[Any] = []
            gap = KNOWN_GAPS.get(case)
            if server in UNLOADABLE.get(case, ((), ""))[0]:
                marks.append(pytest.mark.skip(reason=f"does not load: {UNLOADABLE[case][1]}"))
            elif gap is not None and server in (gap[2] if len(gap) > 2 else SERVERS):
                marks.append(pytest.mark.xfail(strict=True, raises=Refused, reason=f"{gap[0]}: {gap[1]}"))
            yield pytest.param(server, case, id=f"{server}-{case}", marks=marks)


@pytest.fixture(scope="module")
def status_lines() -> Iterator[list[str]]:
    lines: list[str] = []
    yield lines
    write_status(lines)


@pytest.mark.parametrize(("server_name", "case"), list(_params()))
def test_peer_case(server_name: str, case: str, request: pytest.FixtureRequest, status_lines: list[str], case_databases: CaseDatabases) -> None:
    server: ShadowServer = request.getfixturevalue("shadow_server" if server_name == "pg18" else "pg15_server")
    try:
        outcome = run_case(case_databases.pair(server), PEERS / case)
    except Refused as refused:
        status_lines.append(f"{server_name} {case}: refused {str(refused).splitlines()[0]}")
        if case in RIGHT_REFUSALS:
            assert str(refused).startswith("TM312 "), f"a right refusal must be TM312, naming what to write by hand: {refused}"
            return
        raise
    except SilentMismatch as silent:
        status_lines.append(f"{server_name} {case}: SILENT MISMATCH {str(silent).splitlines()[1] if len(str(silent).splitlines()) > 1 else ''}")
        raise
    except AssertionError as failed:
        status_lines.append(f"{server_name} {case}: fails {str(failed).splitlines()[0]}")
        raise
    status_lines.append(f"{server_name} {case}: {outcome}")
    assert case not in RIGHT_REFUSALS, f"listed as a right refusal ({RIGHT_REFUSALS[case]}), yet it {outcome}: remove it from RIGHT_REFUSALS"


class CaseDatabases:
    """Per worker and server, the two databases a case loads into, emptied from case to case rather than made again,
    each with one session kept open (a new session costs a connection and a cold catalog cache: about a third of a
    case); dropped at the end of the module."""

    def __init__(self) -> None:
        self._pool = DatabasePool("tmpeer")
        self._held: dict[str, list[Slot]] = {}

    def pair(self, server: ShadowServer) -> list[tuple[str, psycopg.Connection[Any]]]:
        """The two databases, empty, with a session on each."""
        for slot in self._held.pop(server.admin_url, []):
            self._pool.give_back(slot)
        slots = self._held[server.admin_url] = [self._pool.take(server) for _ in "ab"]
        return [(slot.url, slot.session) for slot in slots]

    def drop_all(self) -> None:
        self._held.clear()
        self._pool.drop_all()


@pytest.fixture(scope="module")
def case_databases() -> Iterator[CaseDatabases]:
    databases = CaseDatabases()
    yield databases
    databases.drop_all()


def run_case(databases: list[tuple[str, psycopg.Connection[Any]]], case: Path) -> str:
    """'converges' or 'converges (empty plan)'; raises Refused or SilentMismatch."""
    from teamigrate.schema import diff_schemas, introspect

    (source_url, source_session), (target_url, target_session) = databases
    sessions = [source_session, target_session]
    # Two threads: while one database works, the other side's query or pg_dump runs.
    with ThreadPoolExecutor(max_workers=2) as pool:
        for side, loaded in zip("ab", [pool.submit(load_into, session, (case / f"{side}.sql").read_text()) for session, side in zip(sessions, "ab")]):
            try:
                loaded.result()
            except psycopg.Error as exc:
                raise AssertionError(f"{case.name}/{side}.sql does not load: {exc}; list it in UNLOADABLE and README.md") from None
        target_dump = pool.submit(lambda: normalise(dump_schema(target_url)))
        source = introspect(source_session)
        target = pool.submit(introspect, target_session).result()
        plan = diff_schemas(source, target)
        apply_as_deploy(source_session, plan)
        reached_dump = pool.submit(lambda: normalise(dump_schema(source_url)))
        residual = diff_schemas(introspect(source_session), target)
        reached = reached_dump.result()
    if not residual.is_empty:
        raise Refused(f"TM311 still different: {', '.join(residual.changed_objects)}\n--- plan ---\n{plan.to_sql()}\n--- residual ---\n{residual.to_sql()}")
    if reached != target_dump.result():
        try:
            assert_same_schema(reached, target_dump.result(), "a.sql + plan", "b.sql", plan.to_sql())
        except AssertionError as differs:
            if needs_dump_check(plan, source, target):
                raise Refused(f"TM311 pg_dump differs (the proof's second check)\n{differs}") from None
            unmanaged = sorted(set(source.unmanaged) | set(target.unmanaged))
            if unmanaged:
                # diff says so in a note (commands.diff: "not compared …"): not silent, but not converged either.
                raise Refused(f"noted as not compared: {', '.join(unmanaged)}\n{differs}") from None
            raise SilentMismatch(f"the proof passes, but pg_dump differs\n{differs}") from None
    return "converges (empty plan)" if plan.is_empty else "converges"


def apply_as_deploy(conn: psycopg.Connection[Any], plan: Any) -> None:
    """As deploy runs the migration made from the plan: in one transaction when the plan can run in one."""
    with conn.transaction() if plan.transactional else nullcontext():
        for number, statement in enumerate(plan.statements, start=1):
            try:
                conn.execute(statement.sql.encode())
            except psycopg.Error as exc:
                message = (exc.diag.message_primary or str(exc)).strip()
                try:
                    refuse_if_by_hand(statement.sql, exc.sqlstate, message)  # the proof's own judgement: TM312
                except TeamigrateError as refused:
                    raise Refused(f"{refused.code} {refused.message}\nhint: {refused.hint}") from None
                raise Refused(f"TM310 statement {number} fails: {message}\n{statement.sql}\n--- plan ---\n{plan.to_sql()}") from None


def write_status(lines: list[str]) -> None:
    """Outcomes for the other engineers: one part per worker, merged into the file."""
    if not lines or not STATUS_FILE.parent.is_dir():
        return
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "single")
    parts = STATUS_FILE.parent / "peers_status.parts"
    parts.mkdir(exist_ok=True)
    for stale in parts.glob("*.txt"):
        if not stale.name.startswith(f"{run}-"):
            stale.unlink(missing_ok=True)  # an earlier run's
    (parts / f"{run}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.txt").write_text("\n".join(lines) + "\n")
    # A run of some cases (-k) updates their lines and keeps the others'.
    previous = STATUS_FILE.read_text().splitlines() if STATUS_FILE.is_file() else []
    merged = {line.split(":", 1)[0]: line for line in previous}
    merged.update((line.split(":", 1)[0], line) for part in parts.glob(f"{run}-*.txt") for line in part.read_text().splitlines())
    STATUS_FILE.write_text("\n".join(sorted(merged.values())) + "\n")


def test_a_right_refusal_names_the_column_and_the_statement_to_write(project: Project, make_database: Any) -> None:
    """`diff` between two databases where a column becomes a type with no cast: TM312 names the column, and the hint
    the statement to complete; nothing else is printed and nothing changes."""
    case = PEERS / "pg-schema-diff/table__alter_table_translate_bigint_type_to_timestamp_set_to_not_null_set_default"
    assert f"pg-schema-diff/{case.name}" in RIGHT_REFUSALS
    before, after = make_database(), make_database()
    for url, side in ((before, "a"), (after, "b")):
        load_sql(url, (case / f"{side}.sql").read_text())
    result = project.run("diff", "--from", before, "--to", after)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error[TM312]: column public.foobar.obj_attr__c_time cannot be changed without you"), result.stderr
    assert lines[1] == (
        "hint: write this change by hand in `teamigrate new NAME --empty` (the rest of the plan with it): ALTER TABLE"
        " public.foobar ALTER COLUMN obj_attr__c_time TYPE timestamp without time zone USING <expression of obj_attr__c_time>;"
    ), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    with connect(before) as conn:
        column_type = conn.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.foobar'::regclass AND attname = 'obj_attr__c_time'").fetchone()
    assert column_type == ("bigint",)


def test_an_extension_downgrade_with_no_path_names_the_extension(database: str) -> None:
    """PostgreSQL's own refusal of the statement the differ writes, judged as the proof judges it: TM312 with the
    statement to complete (the other right refusal; no peer case has it)."""
    from teamigrate.schema import ddl
    from teamigrate.schema.model import Extension

    statement = ddl.update_extension(Extension(name="pg_trgm", schema="public", version="1.3"))
    with connect(database) as conn:
        conn.execute("CREATE EXTENSION pg_trgm")
        with pytest.raises(psycopg.Error) as failed:
            conn.execute(statement.encode())
    error = failed.value
    with pytest.raises(TeamigrateError) as refused:
        refuse_if_by_hand(statement, error.sqlstate, error.diag.message_primary or "")
    assert refused.value.code == "TM312"
    assert refused.value.message.startswith('extension pg_trgm cannot be changed without you: extension "pg_trgm" has no update path'), refused.value.message
    assert refused.value.hint.endswith("DROP EXTENSION pg_trgm; CREATE EXTENSION pg_trgm VERSION '1.3'; -- and re-create what used it"), refused.value.hint

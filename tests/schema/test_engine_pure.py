"""Pure parts of the schema engine: quoting, the generic comparison, ordering, hazards and summaries."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from teamigrate.schema import Hazard, Plan, Schema, Statement, diff_schemas, differences
from teamigrate.schema.model import Column, Constraint, Enum, Function, Index, Key, Sequence, SequenceOptions, Table, View
from teamigrate.schema.quoting import qualified, quote_ident, quote_literal
from teamigrate.schema.summary import plan_to_json, render_summary


def test_quote_ident_leaves_plain_names_alone() -> None:
    assert quote_ident("users") == "users"
    assert quote_ident("user_id2") == "user_id2"
    assert quote_ident("_private$x") == "_private$x"


def test_quote_ident_quotes_what_postgres_would() -> None:
    assert quote_ident("Users") == '"Users"'
    assert quote_ident("user") == '"user"'  # reserved
    assert quote_ident("order") == '"order"'
    assert quote_ident("2fa") == '"2fa"'
    assert quote_ident("a b") == '"a b"'
    assert quote_ident('say "hi"') == '"say ""hi"""'
    assert quote_ident("name") == "name"  # unreserved keyword: safe bare


def test_qualified_and_literal() -> None:
    assert qualified("public", "Order") == 'public."Order"'
    assert quote_literal("it's") == "'it''s'"
    assert quote_literal("back\\slash") == "E'back\\\\slash'"


def test_differences_reports_added_removed_changed() -> None:
    added, removed, changed = differences({"a": 1, "b": 2, "c": 3}, {"b": 2, "c": 4, "d": 5})
    assert (added, removed, changed) == (["d"], ["a"], ["c"])


def _table(name: str, *columns: Column) -> Table:
    return Table("public", name, columns)


def _schema(*objects: object, dependencies: frozenset[tuple[Key, Key]] = frozenset()) -> Schema:
    kinds: dict[str, dict[Key, object]] = {}
    for obj in objects:
        kind = {Table: "tables", Constraint: "constraints", Index: "indexes", View: "views", Enum: "types",
                Function: "functions", Sequence: "sequences"}[type(obj)]
        kinds.setdefault(kind, {})[obj.key] = obj  # type: ignore[attr-defined]
    return Schema(**{kind: MappingProxyType(found) for kind, found in kinds.items()}, dependencies=dependencies)  # type: ignore[arg-type]


def test_identical_schemas_give_an_empty_plan() -> None:
    schema = _schema(_table("users", Column("id", "integer", not_null=True)))
    plan = diff_schemas(schema, schema)
    assert plan.is_empty
    assert plan.to_sql() == ""
    assert plan.changes == []


def test_tables_are_created_before_their_foreign_keys_and_views_after_columns() -> None:
    users = _table("users", Column("id", "integer", not_null=True))
    posts = _table("posts", Column("id", "integer"), Column("user_id", "integer"))
    pkey = Constraint("public", "users", "users_pkey", "p", "PRIMARY KEY (id)")
    fkey = Constraint("public", "posts", "posts_user_id_fkey", "f", "FOREIGN KEY (user_id) REFERENCES public.users(id)")
    view = View("public", "v", " SELECT id FROM public.posts;")
    target = _schema(users, posts, pkey, fkey, view, dependencies=frozenset({
        (fkey.key, pkey.key), (view.key, ("column", "public", "posts", "id")),
    }))
    sql = [s.sql for s in diff_schemas(Schema(), target).statements]
    assert sql.index("CREATE TABLE public.users (\n    id integer NOT NULL\n)") < sql.index(
        "ALTER TABLE public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id)"
    ) < sql.index("ALTER TABLE public.posts ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id)")
    assert sql[-1].startswith("CREATE VIEW public.v")
    # And back: the view and the foreign key go before the tables they need.
    back = [s.sql for s in diff_schemas(target, Schema()).statements]
    assert back.index("DROP VIEW public.v") < back.index("DROP TABLE public.posts")
    # The foreign key goes with its table, which must go before the table it references.
    assert back.index("DROP TABLE public.posts") < back.index("DROP TABLE public.users")
    assert not any("DROP CONSTRAINT" in sql for sql in back)


def test_a_view_over_a_retyped_column_is_dropped_first_and_recreated_after() -> None:
    view = View("public", "v", " SELECT n FROM public.t;")
    dependencies = frozenset({(view.key, ("column", "public", "t", "n"))})
    source = _schema(_table("t", Column("n", "integer")), view, dependencies=dependencies)
    target = _schema(_table("t", Column("n", "bigint")), view, dependencies=dependencies)
    sql = [s.sql for s in diff_schemas(source, target).statements]
    assert sql == [
        "DROP VIEW public.v",
        "ALTER TABLE public.t ALTER COLUMN n TYPE bigint USING n::bigint",
        "CREATE VIEW public.v AS\n SELECT n FROM public.t",
    ]


def test_enum_value_added_in_the_middle_is_altered_in_place() -> None:
    source = _schema(Enum("public", "mood", ("sad", "happy")))
    target = _schema(Enum("public", "mood", ("sad", "ok", "happy")))
    plan = diff_schemas(source, target)
    assert [s.sql for s in plan.statements] == ["ALTER TYPE public.mood ADD VALUE 'ok' AFTER 'sad'"]
    assert not plan.statements[0].transactional
    assert plan.changes[0].detail == "add value 'ok'"


def test_hazards_are_commented_above_their_statement() -> None:
    source = _schema(_table("t", Column("a", "integer"), Column("b", "text")))
    target = _schema(_table("t", Column("a", "integer")))
    plan = diff_schemas(source, target)
    assert plan.to_sql() == (
        "-- hazard: drops-data: the data in column public.t.b is lost\n"
        "ALTER TABLE public.t DROP COLUMN b;\n"
    )
    assert plan.to_sql(comments=False) == "ALTER TABLE public.t DROP COLUMN b;\n"
    assert plan.hazards == {Hazard.DROPS_DATA}
    assert [s.sql for s in plan.data_loss_statements] == ["ALTER TABLE public.t DROP COLUMN b"]


def test_sequence_changes_never_restart() -> None:
    options = SequenceOptions("bigint", 1, 1, 1, 9223372036854775807, 1, False)
    source = _schema(Sequence("public", "s", options))
    target = _schema(Sequence("public", "s", SequenceOptions("bigint", 7, 5, 1, 9223372036854775807, 10, True)))
    sql = [s.sql for s in diff_schemas(source, target).statements]
    assert sql == ["ALTER SEQUENCE public.s INCREMENT BY 5 START WITH 7 CACHE 10 CYCLE"]


def test_a_narrower_sequence_range_restarts_only_a_value_outside_it() -> None:
    source = _schema(Sequence("public", "s", SequenceOptions("bigint", 1, 1, 1, 9223372036854775807, 1, False)))
    target = _schema(Sequence("public", "s", SequenceOptions("integer", 10, 1, 10, 1000, 1, False)))
    sql = [s.sql for s in diff_schemas(source, target).statements]
    alter = "ALTER SEQUENCE public.s AS integer MINVALUE 10 MAXVALUE 1000 START WITH 10"
    assert sql == [
        "DO $teamigrate$\nBEGIN\n  IF (SELECT last_value FROM public.s) BETWEEN 10 AND 1000 THEN\n"
        f"    {alter};\n  ELSE\n    {alter} RESTART;\n  END IF;\nEND\n$teamigrate$"
    ]


def test_summary_groups_changes_by_table() -> None:
    source = _schema(_table("users", Column("id", "integer"), Column("old", "text")), _table("gone", Column("x", "integer")))
    target = _schema(_table("users", Column("id", "bigint"), Column("email", "text", not_null=True)),
                     Enum("public", "mood", ("a",)))
    plan = diff_schemas(source, target)
    text = render_summary(plan)
    assert text.splitlines()[:8] == [
        "(not in a table)",
        "  + enum public.mood",
        "public.gone",
        "  - table public.gone",
        "public.users",
        "  - column old",
        "  ~ column id: type integer -> bigint",
        "  + column email",
    ]
    assert "Hazards: drops-data, fails-if-table-has-rows, rewrites-table." in text
    data = plan_to_json(plan)
    assert data["empty"] is False
    assert {"kind": "column", "action": "add", "name": "public.users.email", "table": "public.users", "detail": ""} in data["changes"]
    assert any(s["hazards"] == ["drops-data"] and s["sql"] == "DROP TABLE public.gone" for s in data["statements"])
    assert render_summary(Plan()) == "No changes.\n"


def test_statement_hazard_comment_names_its_subject() -> None:
    statement = Statement("ALTER TABLE t ALTER COLUMN c SET NOT NULL", frozenset({Hazard.MAY_FAIL}), subject="column t.c")
    assert statement.hazard_comments() == ["-- hazard: may-fail-on-existing-data: fails if existing data in column t.c does not fit"]


def test_numeric_widening_at_the_same_scale_has_no_hazard() -> None:
    from teamigrate.schema.diff import Hazard
    from teamigrate.schema.diff.columns import _type_change_hazards

    assert _type_change_hazards("numeric(6,2)", "numeric(8,2)") == frozenset()
    assert _type_change_hazards("numeric(6,2)", "numeric") == frozenset()
    assert Hazard.MAY_FAIL in _type_change_hazards("numeric(8,2)", "numeric(6,2)")
    assert Hazard.REWRITES_TABLE in _type_change_hazards("numeric(6,2)", "numeric(8,3)")


def test_a_not_null_column_without_a_default_says_it_fails_on_a_table_with_rows_and_what_works() -> None:
    source = _schema(_table("users", Column("id", "integer")))
    target = _schema(_table("users", Column("id", "integer"), Column("email", "text", not_null=True),
                            Column("plan", "text", not_null=True, default="'free'::text")))
    plan = diff_schemas(source, target)
    by_sql = {s.sql: s for s in plan.statements}
    email = by_sql["ALTER TABLE public.users ADD COLUMN email text NOT NULL"]
    assert email.hazards == {Hazard.FAILS_IF_ROWS}
    [comment] = email.hazard_comments()
    assert comment.startswith("-- hazard: fails-if-table-has-rows: a NOT NULL column without a default fails if table public.users has rows")
    assert "give it a DEFAULT, or add it nullable, fill it, then SET NOT NULL" in comment
    # With a default PostgreSQL fills the rows: no such hazard.
    assert by_sql["ALTER TABLE public.users ADD COLUMN plan text DEFAULT 'free'::text NOT NULL"].hazards == frozenset()


def test_the_name_postgresql_gives_its_copy_of_a_partitioned_tables_index() -> None:
    from teamigrate.schema.diff.partitions import auto_index_name

    def index(*columns: str) -> Index:
        return Index("public", "t", "i", "CREATE INDEX i ON public.t USING btree (x)", column_names=columns)

    assert auto_index_name("logs_2025", index("at"), None) == "logs_2025_at_idx"
    assert auto_index_name("logs_2025", index("id", "at"), "p") == "logs_2025_pkey"
    assert auto_index_name("users_1", index("email", "tenant"), "u") == "users_1_email_tenant_key"
    assert auto_index_name("t", index("expr", "expr", "a"), None) == "t_expr_expr1_a_idx"
    long = auto_index_name("p" * 40, index("c" * 40), None)
    assert len(long) == 63 and long == "p" * 29 + "_" + "c" * 29 + "_idx"


def test_a_partitions_index_named_otherwise_than_postgresql_would_is_renamed_after_the_parents_is_created() -> None:
    parent = Table("public", "logs", (Column("at", "date"),), partition_key="RANGE (at)")
    part = Table("public", "logs_1", (Column("at", "date", inherited=True),), partition_of=("public", "logs"),
                 partition_bound="FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')")
    parent_index = Index("public", "logs", "logs_at", "CREATE INDEX logs_at ON ONLY public.logs USING btree (at)")
    copy = Index("public", "logs_1", "at_of_2025", "CREATE INDEX at_of_2025 ON public.logs_1 USING btree (at)",
                 parent=("public", "logs_at"), column_names=("at",))
    target = _schema(parent, part, parent_index, copy,
                     dependencies=frozenset({(copy.key, parent_index.key), (copy.key, ("column", "public", "logs_1", "at"))}))
    sql = [s.sql for s in diff_schemas(_schema(parent, part), target).statements]
    assert sql == [
        "CREATE INDEX logs_at ON public.logs USING btree (at)",
        "ALTER INDEX public.logs_1_at_idx RENAME TO at_of_2025",
    ]


def test_a_table_made_partitioned_is_created_again_with_the_hazard_saying_its_rows_do_not_come_back() -> None:
    before = _table("orders", Column("id", "bigint"), Column("day", "date"))
    after = Table("public", "orders", before.columns, partition_key="RANGE (day)")
    plan = diff_schemas(_schema(before), _schema(after))
    create = next(s for s in plan.statements if s.sql.startswith("CREATE TABLE public.orders"))
    assert create.hazards == {Hazard.RECREATES_TABLE}
    assert create.hazard_comments() == [
        "-- hazard: recreates-table: table public.orders is created again, empty (PostgreSQL cannot alter a table into or out of "
        "this partitioning): copy its rows aside before the drop and back after, or write this step by hand"
    ]
    assert Hazard.DROPS_DATA in next(s for s in plan.statements if s.sql.startswith("DROP TABLE")).hazards


def test_a_collation_whose_definition_changes_is_dropped_and_created_again_or_refused_while_a_column_uses_it() -> None:
    from teamigrate.errors import TeamigrateError
    from teamigrate.schema.model import Collation

    c_order = Collation("public", "sorting", "c", "C", "C")
    posix_order = Collation("public", "sorting", "c", "POSIX", "POSIX", comment="posix")
    table = _table("notes", Column("body", "text", collation="public.sorting"))
    unused = diff_schemas(Schema(collations={c_order.key: c_order}), Schema(collations={posix_order.key: posix_order}))
    assert [s.sql for s in unused.statements] == [
        "DROP COLLATION public.sorting",
        "CREATE COLLATION public.sorting (provider = libc, locale = 'POSIX')",
        "COMMENT ON COLLATION public.sorting IS 'posix'",
    ]
    # Created before the table whose column uses it (pg_depend's edge), whatever the ranks say.
    created = diff_schemas(Schema(), Schema(collations={c_order.key: c_order}, tables={table.key: table},
                                            dependencies=frozenset({(("column", "public", "notes", "body"), c_order.key)})))
    assert [s.sql.split(" (")[0] for s in created.statements] == ["CREATE COLLATION public.sorting", "CREATE TABLE public.notes"]
    used = frozenset({(("column", "public", "notes", "body"), c_order.key)})
    with pytest.raises(TeamigrateError) as refused:
        diff_schemas(Schema(collations={c_order.key: c_order}, tables={table.key: table}, dependencies=used),
                     Schema(collations={posix_order.key: posix_order}, tables={table.key: table}, dependencies=used))
    assert refused.value.code == "TM313"
    assert "collation public.sorting changes its definition" in refused.value.message
    assert refused.value.message.endswith("which it refuses while these use it: column public.notes.body")

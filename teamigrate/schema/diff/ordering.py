"""The order of a plan's statements: a graph of each object's phases by dependency, sorted with fixed ranks breaking ties."""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from teamigrate.schema.diff.draft import FINAL, POST, PRE, Node, PlanDraft
from teamigrate.schema.diff.objects import TableColumn, owner
from teamigrate.schema.model import Constraint, Extension, Function, Key, Table
from teamigrate.schema.plan import Statement
from teamigrate.schema.quoting import quote_ident

# Where nothing else decides, which kinds go first: dependants are dropped before
# what they use, and what is used is created before its dependants.
_PRE_RANK = {
    "trigger": 0, "policy": 1, "view": 2, "constraint": 3, "index": 4, "column": 5, "function": 6,
    "table": 7, "owner": 8, "sequence": 9, "type": 10, "collation": 10.5, "extension": 11, "schema": 12,
}
_POST_RANK = {
    "schema": 0, "extension": 1, "collation": 1.5, "type": 2, "sequence": 3, "table": 4, "column": 5, "owner": 6,
    "constraint": 7, "index": 8, "view": 9, "function": 10, "trigger": 11, "policy": 12,
}
_BODY = re.compile(r"^(AS|RETURN|BEGIN)\b", re.MULTILINE)
_IN_SCHEMA = frozenset({"type", "sequence", "table", "view", "function", "index", "collation"})


def _model_dependencies(key: Key, objects: Mapping[Key, Any]) -> Iterable[Key]:
    """What an object depends on by the model's own structure (pg_depend gives the rest)."""
    if key[0] == "replica":
        table = objects.get(("table", *key[1:]))
        if table is not None:
            yield table.key
            if table.replica_identity.startswith("index:"):
                index_name = table.replica_identity.split(":", 1)[1]
                index_key: Key = ("index", key[1], index_name)
                yield index_key if index_key in objects else ("constraint", key[1], key[2], index_name)
        return
    if key[0] == "owner":
        sequence = objects.get(("sequence", *key[1:]))
        if sequence is not None and sequence.owned_by is not None:
            yield ("column", *sequence.owned_by)
            yield ("table", *sequence.owned_by[:2])  # a dropped table's columns are not nodes of their own
            yield sequence.key
        return
    obj = objects.get(key)
    if obj is None:
        return
    # pg_depend's edges to schemas are left out at introspection (one per object); they are these.
    if key[0] in _IN_SCHEMA:
        yield ("schema", key[1])
    elif isinstance(obj, Extension):
        yield ("schema", obj.schema)
    relation = owner(key, obj, objects)
    if relation is not None:
        yield relation
    if isinstance(obj, Table):
        if obj.partition_of is not None:
            yield ("table", *obj.partition_of)
        for parent in obj.inherits:
            yield ("table", *parent)
    if isinstance(obj, TableColumn) and obj.column.inherited:
        # Its own NOT NULL or default goes after the parent's, which reaches it too.
        for parent in (obj.table.partition_of, *obj.table.inherits):
            if parent is not None:
                yield ("column", *parent, obj.column.name)
    if isinstance(obj, TableColumn) and obj.column.identity is not None:
        identity = obj.column.identity
        yield ("sequence", identity.sequence_schema, identity.sequence_name)


def _body_dependencies(draft: PlanDraft, involved: set[Key]) -> list[tuple[Key, Key]]:
    """Routines created in the plan whose body calls another one the plan creates. pg_depend records what a body
    uses only for SQL-standard bodies (BEGIN ATOMIC, RETURN); a quoted body is checked against the functions that
    exist when it is created (check_function_bodies), so the one called goes first. Read from the body's text: a
    name followed by `(`."""
    routines = [key for key in involved if key[0] == "function" and (POST, key) in draft.steps and isinstance(draft.new.get(key), Function)]
    if len(routines) < 2:
        return []
    by_name: dict[str, list[Key]] = {}
    for key in routines:
        by_name.setdefault(quote_ident(key[2]), []).append(key)
    names = "|".join(re.escape(name) for name in sorted(by_name, key=len, reverse=True))
    call = re.compile(rf'(?<![\w"$])({names})\s*\(')
    found = []
    for key in routines:
        definition = draft.new[key].definition
        start = _BODY.search(definition)  # pg_get_functiondef starts the body on a line of its own
        body = definition[start.start():] if start else definition
        for name in set(call.findall(body)):
            found += [(key, called) for called in by_name[name] if called != key]
    return found


def _resolve(draft: PlanDraft, node: Node) -> Node:
    while node in draft.alias:
        node = draft.alias[node]
    return node


def order(draft: PlanDraft) -> list[Statement]:
    if not draft.steps:
        return []
    classified = draft.classified
    involved = {key for _, key in draft.steps} | {key for _, key in draft.alias}
    edges: dict[Node, set[Node]] = {}

    def edge(before: Node, after: Node) -> None:
        before, after = _resolve(draft, before), _resolve(draft, after)
        if before != after:
            edges.setdefault(before, set()).add(after)

    for key in involved:
        edge((PRE, key), (POST, key))
        edge((POST, key), (FINAL, key))
    old_deps = [(a, b) for a, b in draft.source.dependencies if a in involved and b in involved]
    old_deps += [(key, b) for key in involved for b in _model_dependencies(key, draft.old) if b in involved]
    new_deps = [(a, b) for a, b in draft.target.dependencies if a in involved and b in involved]
    new_deps += [(key, b) for key in involved for b in _model_dependencies(key, draft.new) if b in involved]
    for dependant, dependency in old_deps:
        edge((PRE, dependant), (PRE, dependency))
        edge((PRE, dependant), (POST, dependency))
        if dependency in classified.renamed:
            edge((POST, dependant), (FINAL, dependency))
            edge((FINAL, dependant), (FINAL, dependency))
        # What an altered object stops using may only go once the alteration ran.
        if dependency in classified.removed and dependant not in classified.removed and dependant not in classified.rebuilt:
            edge((POST, dependant), (PRE, dependency))
    new_deps += _body_dependencies(draft, involved)
    for dependant, dependency in new_deps:
        edge((POST, dependency), (POST, dependant))
    nodes = set(draft.steps) | set(edges) | {n for targets in edges.values() for n in targets}
    nodes = {_resolve(draft, n) for n in nodes}

    def priority(node: Node) -> tuple[Any, ...]:
        phase, key = node
        ranks = _PRE_RANK if phase == PRE else _POST_RANK
        rank: float = ranks.get(key[0], 50)
        if key[0] == "constraint":
            obj = draft.old.get(key) if phase == PRE else draft.new.get(key)
            # Foreign keys go first when dropping and last when adding.
            if isinstance(obj, Constraint) and obj.kind == "f":
                rank += -0.5 if phase == PRE else 0.5
        return (phase, rank, key)

    return [statement for node in _topological(nodes, edges, priority) for statement in draft.steps.get(node, ())]


def _topological(nodes: set[Node], edges: Mapping[Node, set[Node]], priority: Callable[[Node], tuple[Any, ...]]) -> list[Node]:
    indegree = dict.fromkeys(nodes, 0)
    for before, afters in edges.items():
        for after in afters:
            if before in indegree and after in indegree:
                indegree[after] += 1
    heap = [(priority(n), n) for n, degree in indegree.items() if degree == 0]
    heapq.heapify(heap)
    done: list[Node] = []
    emitted: set[Node] = set()
    while len(done) < len(nodes):
        if not heap:
            # A cycle: emit its least node and carry on, rather than lose statements.
            rest = min((priority(n), n) for n in nodes if n not in emitted)
            heap.append(rest)
        _, node = heapq.heappop(heap)
        if node in emitted:
            continue
        emitted.add(node)
        done.append(node)
        for after in edges.get(node, ()):
            if after in indegree and after not in emitted:
                indegree[after] -= 1
                if indegree[after] == 0:
                    heapq.heappush(heap, (priority(after), after))
    return done

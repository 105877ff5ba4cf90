"""The house rules of ARCHITECTURE.md, read from every module's imports with `ast`.

Layers, top to bottom: Face, Commands, Workspace, Engine, Adapters. An import
points down or sideways within the Engine and the Adapters, never up; nothing
but the Face and the Commands writes through `output`; no import circles
(function-level imports count); the differ knows no branches, no history and no
workspace; the server package knows no schema and no history; no module grows
past 600 lines.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "teamigrate"
MAX_LINES = 600

# (prefix, layer); the longest matching prefix wins. Rank 0 is the top.
LAYERS: tuple[tuple[str, str], ...] = (
    ("teamigrate.cli", "face"),
    ("teamigrate.output", "face"),
    ("teamigrate.launch", "face"),
    ("teamigrate.__main__", "face"),
    ("teamigrate.daemon.serve", "face"),
    ("teamigrate.commands", "commands"),
    ("teamigrate.workspace", "workspace"),
    ("teamigrate.schema", "engine"),
    ("teamigrate.history", "engine"),
    ("teamigrate.planners", "engine"),
    ("teamigrate.lint", "engine"),
    ("teamigrate.git", "adapters"),
    ("teamigrate.database", "adapters"),
    ("teamigrate.libpq", "adapters"),
    ("teamigrate.server", "adapters"),
    ("teamigrate.config", "adapters"),
    ("teamigrate.errors", "adapters"),
    ("teamigrate.daemon", "adapters"),
    ("teamigrate", "adapters"),  # the package itself: __version__
)
RANK = {"face": 0, "commands": 1, "workspace": 2, "engine": 3, "adapters": 4}

# Imports that point up or close a circle, each kept for a reason. None today.
ALLOWED_EDGES: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    function_level: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _best_prefix(module: str) -> str:
    return max((prefix for prefix, _ in LAYERS if module == prefix or module.startswith(prefix + ".")), key=len)


def layer_of(module: str) -> str:
    return dict(LAYERS)[_best_prefix(module)]


def _resolve(module: str, name: str | None) -> str:
    """`from module import name`: the submodule when `name` is one, else the module."""
    if name and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    return module


def imports_of(module: str) -> list[Import]:
    path = MODULES[module]
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("teamigrate"):
                        found.append(Import(module, alias.name, child.lineno, in_function))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                if base.startswith("teamigrate"):
                    for alias in child.names:
                        found.append(Import(module, _resolve(base, alias.name), child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return sorted({i for i in found if not _type_checking_only(tree, i.line)}, key=lambda i: (i.line, i.imported))


def _type_checking_only(tree: ast.Module, line: int) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            if node.body[0].lineno <= line <= node.body[-1].end_lineno:  # type: ignore[operator]
                return True
    return False


ALL_IMPORTS: list[Import] = [i for module in MODULES for i in imports_of(module) if i.imported in MODULES or i.imported.split(".")[0] == "teamigrate"]


def _where(i: Import) -> str:
    return f"{MODULES[i.importer].relative_to(PACKAGE.parent)}:{i.line} imports {i.imported}" + (" (in a function)" if i.function_level else "")


def test_every_module_is_in_a_layer() -> None:
    # a module that no prefix names would sit in the package's own (bottom) layer by accident
    strays = [m for m in MODULES if m != "teamigrate" and _best_prefix(m) == "teamigrate"]
    assert strays == [], f"modules in no layer: {strays} (add them to LAYERS and ARCHITECTURE.md)"


def test_only_the_face_and_the_commands_print() -> None:
    printing = [_where(i) for i in ALL_IMPORTS if i.imported == "teamigrate.output" and layer_of(i.importer) not in ("face", "commands")]
    assert printing == [], "only the Face and the Commands may import output:\n" + "\n".join(printing)


def test_imports_point_down() -> None:
    upward = [
        _where(i) + f" ({layer_of(i.importer)} -> {layer_of(i.imported)})"
        for i in ALL_IMPORTS
        if RANK[layer_of(i.imported)] < RANK[layer_of(i.importer)] and (i.importer, i.imported) not in ALLOWED_EDGES
        # output is the Face's writer, which the Commands report through
        and not (i.imported == "teamigrate.output" and layer_of(i.importer) == "commands")
    ]
    assert upward == [], "imports that point up a layer:\n" + "\n".join(upward)


def test_no_import_circles() -> None:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in ALL_IMPORTS:
        if i.imported in MODULES and i.imported != i.importer and (i.importer, i.imported) not in ALLOWED_EDGES:
            graph[i.importer].add(i.imported)
    circles = [sorted(c) for c in _strongly_connected(graph) if len(c) > 1]
    assert circles == [], "import circles (function-level imports count):\n" + "\n".join(" <-> ".join(c) for c in circles)


def test_the_differ_knows_no_branches_history_or_workspace() -> None:
    forbidden = ("teamigrate.git", "teamigrate.history", "teamigrate.workspace", "teamigrate.commands", "teamigrate.server", "teamigrate.planners")
    found = [_where(i) for i in ALL_IMPORTS if i.importer.startswith("teamigrate.schema") and i.imported.startswith(forbidden)]
    assert found == [], "schema/ must not import git, history, the workspace or the server:\n" + "\n".join(found)


def test_the_server_knows_no_schema_and_no_history() -> None:
    forbidden = ("teamigrate.schema", "teamigrate.history", "teamigrate.workspace", "teamigrate.planners", "teamigrate.lint")
    found = [_where(i) for i in ALL_IMPORTS if i.importer.startswith("teamigrate.server") and i.imported.startswith(forbidden)]
    assert found == [], "server/ must not import schema or history:\n" + "\n".join(found)


def test_the_planners_are_pure() -> None:
    # plain values in, plain values out: no database, no git, no files of the workspace
    forbidden = ("teamigrate.database", "teamigrate.git", "teamigrate.server", "teamigrate.workspace", "teamigrate.config")
    found = [_where(i) for i in ALL_IMPORTS if i.importer.startswith("teamigrate.planners") and i.imported.startswith(forbidden)]
    assert found == [], "planners/ must be pure:\n" + "\n".join(found)


def test_the_entry_point_imports_only_the_standard_library() -> None:
    # `teamigrate` starts in 12 ms when a daemon runs the command: launch.py and the wire protocol import nothing of ours but each other
    for module in ("teamigrate.launch", "teamigrate.daemon.protocol"):
        found = [_where(i) for i in imports_of(module) if not i.function_level and i.imported not in ("teamigrate.daemon.protocol", "teamigrate.daemon")]
        assert found == [], f"{module} imports more than the standard library at module level:\n" + "\n".join(found)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_too_long(module: str) -> None:
    lines = MODULES[module].read_text().count("\n")
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(PACKAGE.parent)} has {lines} lines (at most {MAX_LINES}): split it by what its parts do"


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components

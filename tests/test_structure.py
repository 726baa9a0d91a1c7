"""The package's shape, checked from its source with ``ast`` (nothing is imported):

* no import circle between stripjpeg modules, counting every import statement, at module
  level or inside a function (a lazy import still ties the two modules together);
* no module imports another module's private (underscore) name, by ``from .x import _y`` or
  by ``x._y`` on a module it imported;
* no module over 600 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "stripjpeg"
MAX_LINES = 600


def module_name(path: Path) -> str:
    """``stripjpeg/backends/base.py`` -> ``stripjpeg.backends.base``; a package's
    ``__init__.py`` is the package itself."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of ``from <level dots><target> import ...`` written in ``module``."""
    if level == 0:
        return target or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]  # a module's relative imports start from its package
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def imported_modules(name: str, path: Path, known: dict[str, Path]) -> dict[str, set[str]]:
    """What ``name`` imports: {stripjpeg module: names taken from it ("" for the module
    itself)}, from every import statement in the file, lazy ones included."""
    found: dict[str, set[str]] = {}
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    found.setdefault(alias.name, set()).add("")
        elif isinstance(node, ast.ImportFrom):
            source = resolve(name, is_package, node.level, node.module)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in known:  # "from . import markers": the module markers
                    found.setdefault(submodule, set()).add("")
                elif source in known:
                    found.setdefault(source, set()).add(alias.name)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imported_modules(name, path, known)) - {name} for name, path in known.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle: the strongly connected components of more than one module
    (Tarjan's algorithm), each as ``[a, b, ..., a]`` along its imports, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for start in sorted(graph):
        if start not in index:
            visit(start)
    return sorted(circle_through(graph, component) for component in components)


def strongly_connected(graph: dict[str, set[str]], circle: list[str]) -> list[str]:
    """Every module that can reach ``circle[0]`` and be reached from it: all the modules
    tangled in the same knot as ``circle``, sorted."""
    def reachable(start: str, edges: dict[str, set[str]]) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            for target in edges.get(todo.pop(), ()):
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
        return seen

    reverse: dict[str, set[str]] = {}
    for source, targets in graph.items():
        for target in targets:
            reverse.setdefault(target, set()).add(source)
    return sorted(reachable(circle[0], graph) & reachable(circle[0], reverse))


def circle_through(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One circle inside a strongly connected ``component``, from its first module back to
    it (breadth-first, so the shortest)."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph[node] & component):
            if target == start:
                return paths[node] + [start]
            if target not in paths:
                paths[target] = paths[node] + [target]
                queue.append(target)
    raise AssertionError("not a strongly connected component")


def private_name_uses(name: str, path: Path, known: dict[str, Path]) -> list[str]:
    """``from .x import _y`` and ``x._y`` (x a stripjpeg module bound in this file), as
    readable lines."""
    problems = []
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    module_aliases: dict[str, str] = {}  # local name -> the stripjpeg module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = resolve(name, is_package, node.level, node.module)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in known:
                    module_aliases[alias.asname or alias.name] = submodule
                elif source in known and source != name and is_private(alias.name):
                    problems.append(f"{name}:{node.lineno} imports {source}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known and alias.asname:
                    module_aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in module_aliases and is_private(node.attr)
                and module_aliases[node.value.id] != name):
            problems.append(f"{name}:{node.lineno} uses {module_aliases[node.value.id]}.{node.attr}")
    return problems


def is_private(identifier: str) -> bool:
    return identifier.startswith("_") and not identifier.startswith("__")


# --- The checks ------------------------------------------------------------------------------

def test_the_graph_sees_lazy_and_relative_imports() -> None:
    graph = import_graph()
    # Module level, relative to a module, and to a package's __init__ ("from . import x").
    assert {"stripjpeg.options", "stripjpeg.tables"} <= graph["stripjpeg.plan"]
    assert {"stripjpeg.backends", "stripjpeg.inspect"} <= graph["stripjpeg"]
    # Inside a function: inspect's trace_block imports the NumPy stages lazily.
    assert "stripjpeg.stages.huffman" in graph["stripjpeg.inspect"]


def test_find_cycles_reports_every_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}, "f": {"f", "a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["d", "e", "d"]]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_import_circles() -> None:
    graph = import_graph()
    circles = [" -> ".join(circle) + f" (the knot: {', '.join(strongly_connected(graph, circle))})"
               for circle in find_cycles(graph)]
    assert circles == [], "import circles: " + "; ".join(circles)


def test_no_module_imports_another_modules_private_names() -> None:
    known = modules()
    problems = [line for name, path in known.items() for line in private_name_uses(name, path, known)]
    assert problems == []


def test_private_name_check_sees_both_forms(tmp_path: Path) -> None:
    known = modules()
    source = tmp_path / "probe.py"
    source.write_text("from . import reader\nfrom .reader import _split_entropy_data\n"
                      "x = reader._split_entropy_data\n")
    problems = private_name_uses("stripjpeg.probe", source, known)
    assert [p.split(" ", 1)[1] for p in problems] == [
        "imports stripjpeg.reader._split_entropy_data", "uses stripjpeg.reader._split_entropy_data"]


def test_no_module_over_600_lines() -> None:
    lengths = {name: len(path.read_text().splitlines()) for name, path in modules().items()}
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_stripjpeg_inspect_leaves_the_standard_inspect_alone() -> None:
    """docs/inspect.md: the names do not clash; ``import inspect`` is the standard library's."""
    import inspect

    import stripjpeg
    import stripjpeg.inspect as jpeg_inspect

    assert stripjpeg.inspect is jpeg_inspect and jpeg_inspect.__name__ == "stripjpeg.inspect"
    assert inspect.__name__ == "inspect" and callable(inspect.signature)

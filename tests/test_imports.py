"""No import circles: the graph of which stripjpeg module imports which (at module level or
inside functions, as ``ast`` sees them) has no cycle.

Checked among ``stripjpeg.backends`` and ``stripjpeg.stages`` for now; CHECKED is the list of
packages to widen (to the whole package, once the markers/options/plan circle is gone)."""

import ast
from pathlib import Path

import stripjpeg

ROOT = Path(stripjpeg.__file__).parent
#: The module prefixes whose imports among themselves must form no cycle.
CHECKED = ("stripjpeg.backends", "stripjpeg.stages")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every stripjpeg module ``path`` imports, anywhere in it (``from . import x`` names
    the submodule x when there is one)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {module for module in found if module.startswith("stripjpeg")}


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in ROOT.rglob("*.py")}
    return {name: imports_of(path) & set(modules) - {name} for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for successor in sorted(graph.get(node, ())):
            if state.get(successor) == 1:
                return [*path[path.index(successor):], successor]
            if successor not in state and (cycle := visit(successor)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_backends_and_stages_import_no_circle():
    graph = import_graph()
    checked = {name: {m for m in targets if m.startswith(CHECKED)}
               for name, targets in graph.items() if name.startswith(CHECKED)}
    assert "stripjpeg.stages.huffman" in checked["stripjpeg.backends.base"]  # the graph sees imports
    assert find_cycle(checked) is None


def test_stages_import_no_backend():
    graph = import_graph()
    for name, targets in graph.items():
        if name.startswith("stripjpeg.stages"):
            assert not {m for m in targets if m.startswith("stripjpeg.backends")}, name

"""The emulator package's import graph: no cycles, and nothing from the bot's own packages.

Every import counts, wherever it sits in a file: module level, inside functions and under
`if TYPE_CHECKING:`. `import emulator` and `from emulator import x` count as importing the
package itself (emulator/__init__.py). Run this file directly to print the graph's cycles.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "emulator"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE
FORBIDDEN = frozenset({"bot", "db", "config"})


def module_name(path: Path) -> str:
    """Return the dotted name of a file of the package."""
    return PACKAGE if path.name == "__init__.py" else f"{PACKAGE}.{path.stem}"


def imported_modules(path: Path) -> Iterator[str]:
    """Yield the name of every module a file imports, resolved to absolute names."""
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield target
            # `from pkg import name` may name a submodule: count it as imported too.
            for alias in node.names:
                yield f"{target}.{alias.name}"


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Map each module of the package to the modules of the package it imports."""
    files = {module_name(p): p for p in sorted(root.glob("*.py"))}
    return {
        name: {target for target in imported_modules(path) if target in files and target != name}
        for name, path in files.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the groups of modules that import each other in a circle (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def foreign_imports(root: Path = ROOT) -> list[tuple[str, str]]:
    """List (module, import) pairs where the package imports the bot, db or config."""
    return [
        (module_name(path), target)
        for path in sorted(root.glob("*.py"))
        for target in imported_modules(path)
        if target.split(".")[0] in FORBIDDEN
    ]


def test_the_package_has_no_import_cycles() -> None:
    graph = import_graph()
    assert len(graph) > 10 and graph[PACKAGE], "the package was not found or not parsed"
    assert cycles(graph) == []


def test_no_submodule_imports_the_package_itself() -> None:
    graph = import_graph()
    assert [name for name, targets in graph.items() if PACKAGE in targets] == []


def test_the_package_imports_nothing_from_the_bot() -> None:
    assert foreign_imports() == []


def test_the_checker_sees_a_cycle_through_the_package(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("from emulator.a import A\n")
    (tmp_path / "a.py").write_text("def f():\n    from emulator import b\n")
    (tmp_path / "b.py").write_text("from typing import TYPE_CHECKING\n")
    (tmp_path / "c.py").write_text("if True:\n    from . import d\n")
    (tmp_path / "d.py").write_text("import emulator.c\n")
    assert cycles(import_graph(tmp_path)) == [
        ["emulator", "emulator.a"],
        ["emulator.c", "emulator.d"],
    ]


if __name__ == "__main__":
    found = cycles(import_graph())
    for component in found:
        print("cycle:", " <-> ".join(component))
    for module, target in foreign_imports():
        print(f"forbidden import: {module} imports {target}")
    print(f"{len(import_graph())} modules, {len(found)} cycles")
    sys.exit(1 if found or foreign_imports() else 0)

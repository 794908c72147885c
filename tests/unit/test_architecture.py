"""The layers hold: checked on the source of every module, counting imports inside functions and
under `if TYPE_CHECKING:` (import-linter checks the same rules in `make check`)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "db", "config", "emulator")
ALLOWED_IN_DOMAIN = {"rapidfuzz"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module `name` imports anywhere in its file (absolute names, as written)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                out.add(submodule if submodule in MODULES else base)
    return out


def _project_graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        targets = set()
        for imported in _imports(name, path):
            # `import a.b.c` names a.b.c; keep the longest prefix that is a project module.
            parts = imported.split(".")
            while parts and ".".join(parts) not in MODULES:
                parts.pop()
            if parts and ".".join(parts) != name:
                targets.add(".".join(parts))
        graph[name] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return one cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def test_no_import_cycles_among_the_projects_modules():
    assert _cycles(_project_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _offenders(prefix: str, banned: tuple[str, ...]) -> list[str]:
    out = []
    for name, path in MODULES.items():
        if name == prefix or name.startswith(prefix + "."):
            for imported in _imports(name, path):
                if any(imported == b or imported.startswith(b + ".") for b in banned):
                    out.append(f"{name}: {imported}")
    return sorted(out)


def test_domain_imports_only_stdlib_rapidfuzz_and_itself():
    offenders = []
    for name, path in MODULES.items():
        if not name.startswith("bot.domain"):
            continue
        for imported in _imports(name, path):
            top = imported.split(".")[0]
            if imported.startswith("bot.domain") or top == "__future__":
                continue
            if top in sys.stdlib_module_names and top not in PACKAGES:
                continue
            if top in ALLOWED_IN_DOMAIN:
                continue
            offenders.append(f"{name}: {imported}")
    assert offenders == []


def test_handlers_do_not_touch_the_database():
    assert _offenders("bot.handlers", ("db", "sqlmodel", "sqlalchemy")) == []


def test_services_and_rendering_know_nothing_of_telegram_or_the_handlers():
    banned = (
        "telegram",
        "bot.handlers",
        "bot.app",
        "bot.delivery",
        "bot.entrypoints",
        "bot.offline",
    )
    assert _offenders("bot.services", banned) == []
    assert (
        _offenders("bot.rendering", (*banned, "db", "sqlmodel", "sqlalchemy", "bot.services")) == []
    )


def test_db_config_and_emulator_do_not_import_the_bot():
    assert _offenders("db", ("bot",)) == []
    assert _offenders("config", ("bot", "db", "emulator")) == []
    assert _offenders("emulator", ("bot", "db", "config")) == []


def test_bot_holds_the_application_factory_and_packages_only():
    loose = sorted(
        p.name for p in (ROOT / "bot").glob("*.py") if p.name not in ("__init__.py", "app.py")
    )
    assert loose == []

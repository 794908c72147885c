"""The pure domain stays pure: it imports only the standard library and rapidfuzz."""

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[3] / "bot" / "domain"
ALLOWED_THIRD_PARTY = {"rapidfuzz"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(
                node.module.split(".")[0] if node.module.split(".")[0] != "bot" else node.module
            )
    return names


def test_domain_imports_only_stdlib_rapidfuzz_and_itself():
    offenders = []
    for path in sorted(DOMAIN.glob("*.py")):
        for name in _imports(path):
            if name.startswith("bot."):
                if not name.startswith("bot.domain"):
                    offenders.append(f"{path.name}: {name}")
            elif (
                name not in sys.stdlib_module_names
                and name not in ALLOWED_THIRD_PARTY
                and name != "__future__"
            ):
                offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_db_and_config_do_not_import_the_bot():
    root = DOMAIN.parents[1]
    offenders = []
    for package, banned in (("db", ("bot",)), ("config", ("bot", "db"))):
        for path in (root / package).rglob("*.py"):
            for name in _imports(path):
                if name.split(".")[0] in banned:
                    offenders.append(f"{path.relative_to(root)}: {name}")
    assert offenders == []

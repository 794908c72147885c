"""A command loads only what it uses: the command line itself loads no bot, emulator, sender,
Alembic or chart library, and the head revision is read from the migration files without Alembic.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from db.engine import VERSIONS_DIR, alembic_config, head_revisions, make_engine

ROOT = Path(__file__).resolve().parents[2]
# What `import bot.entrypoints.cli` must not load: each command imports its own needs.
NOT_AT_IMPORT = (
    "matplotlib",
    "emulator",
    "aiohttp",
    "alembic",
    "telegram",
    "bot.app",
    "bot.offline",
    "bot.delivery",
    "bot.delivery.sender",
    "bot.services",
    "db",
    "sqlalchemy",
    "rich",  # Typer's rich help and errors load it only to show help or an error
)


def loaded_after(code: str, tmp_path: Path) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=True,
    )
    return set(json.loads(proc.stdout.splitlines()[-1]))


def test_the_command_line_loads_no_command_s_machinery(tmp_path):
    loaded = loaded_after("import bot.entrypoints.cli", tmp_path)
    assert "bot.entrypoints.cli" in loaded and "typer" in loaded
    assert sorted(m for m in NOT_AT_IMPORT if m in loaded) == []


def test_the_database_module_leaves_alembic_for_upgrades(tmp_path):
    loaded = loaded_after("import db.engine", tmp_path)
    assert "sqlalchemy" in loaded and not any(m.split(".")[0] == "alembic" for m in loaded)


def test_head_revisions_from_the_files_are_alembic_s_heads(tmp_path):
    from alembic.script import ScriptDirectory

    engine = make_engine(f"sqlite:///{tmp_path}/heads.sqlite3")
    script = ScriptDirectory.from_config(alembic_config(engine))
    assert head_revisions() == frozenset(script.get_heads())
    assert len(list(VERSIONS_DIR.glob("*.py"))) == len(list(script.walk_revisions()))
    engine.dispose()


def test_head_revisions_follow_merges_and_refuse_odd_files(tmp_path):
    def write(name: str, body: str) -> None:
        (tmp_path / name).write_text(body, encoding="utf-8")

    write("a.py", 'revision = "a"\ndown_revision = None\n')
    write("b.py", "revision = 'b'\ndown_revision = 'a'\n")
    write("c.py", 'revision = "c"\ndown_revision = "a"  # a branch\n')
    assert head_revisions(tmp_path) == {"b", "c"}
    write("d.py", 'revision: str = "d"\ndown_revision: tuple[str, str] = ("b", "c")\n')
    assert head_revisions(tmp_path) == {"d"}
    # A file that names no revision this way: the caller asks Alembic instead.
    write("e.py", "revision = make_revision()\ndown_revision = 'd'\n")
    assert head_revisions(tmp_path) is None

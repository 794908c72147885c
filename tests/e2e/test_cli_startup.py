"""Each command loads what it uses and no more: Alembic only when the schema is behind, Telegram
and the emulator only for the bot and offline sessions, charts only where one is drawn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
# Runs one command like the `jangmadang` script, then lists the modules it had loaded.
PROBE = """
import atexit, json, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
from bot.entrypoints.cli import main
sys.argv[0] = "jangmadang"
main()
"""


def run(args: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    listing = tmp_path / "modules.json"
    listing.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(listing), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": f"sqlite:///{tmp_path}/startup.sqlite3",
        },
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc, set(json.loads(listing.read_text()))


def test_commands_load_alembic_only_for_a_schema_behind_and_telegram_only_for_the_bot(tmp_path):
    first, loaded = run(["seed"], tmp_path)
    assert "317 prices added" in first.stdout
    assert "alembic" in loaded  # a new database: its schema is made
    assert not loaded & {"telegram", "emulator", "aiohttp", "matplotlib", "bot.app"}
    again, loaded = run(["seed"], tmp_path)
    assert "317 already present" in again.stdout
    assert not loaded & {"alembic", "telegram", "emulator", "matplotlib"}
    answer, loaded = run(["ask", "rice hyesan"], tmp_path)
    assert "Hyesan" in answer.stdout and "KPW/kg" in answer.stdout
    # An offline session: the bot and the emulator, but no schema upgrade and no chart drawn.
    assert {"telegram", "emulator", "bot.app"} <= loaded
    assert not loaded & {"alembic", "matplotlib"}

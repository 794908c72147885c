"""The command line as a script or a newcomer would use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def run(args, tmp_path, *, stdin=None, timeout=120):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.entrypoints.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        input=stdin,
        timeout=timeout,
    )


def test_seed_then_ask_prints_the_lingzhi_range(tmp_path):
    upgrade = run(["db", "upgrade"], tmp_path)
    assert upgrade.returncode == 0 and "revision" in upgrade.stdout
    empty = run(["ask", "/price lingzhi"], tmp_path)
    assert empty.returncode == 0 and "No figures for Lingzhi" in empty.stdout
    seeded = run(["seed"], tmp_path)
    assert seeded.returncode == 0 and "317 prices added" in seeded.stdout
    again = run(["seed"], tmp_path)
    assert "0 prices added, 317 already present" in again.stdout
    answer = run(["ask", "/price lingzhi"], tmp_path)
    assert answer.returncode == 0, answer.stderr
    assert "500-1,200 CNY/kg" in answer.stdout and "Daily NK" in answer.stdout
    assert "date not stated" in answer.stdout and "dailynk.com" in answer.stdout
    # The same user asked in English before: a Korean app now gets Korean.
    html = run(["ask", "--html", "--lang", "ko", "혜산 쌀값"], tmp_path)
    assert html.returncode == 0 and "<b>혜산</b>" in html.stdout and "관측" in html.stdout


def test_demo_chats_in_the_terminal(tmp_path):
    script = ":help\n/price lingzhi\n:admin\n/help\n:tap 1\n:quit\n"
    result = run(
        ["demo", "--database", f"sqlite:///{tmp_path}/demo.sqlite3"], tmp_path, stdin=script
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Jangmadang demo" in out and ":tap N" in out
    assert "500-1,200 CNY/kg" in out and "now talking as the admin" in out and "Bye." in out


def test_demo_ends_cleanly_at_end_of_input(tmp_path):
    result = run(["demo", "--database", f"sqlite:///{tmp_path}/demo.sqlite3"], tmp_path, stdin="")
    assert result.returncode == 0 and "Bye." in result.stdout

"""How quickly `jangmadang ask` answers from a standing start, against the bare imports of what it
is built on (python-telegram-bot, SQLModel, rapidfuzz), measured in the same run.

Both are fresh processes with the same environment, taking turns so that a busy machine slows
both alike: `jangmadang ask "rice hyesan"` on a seeded temporary SQLite database (the emulator,
the real bot, one answer), and `python -c "import telegram.ext, sqlmodel, rapidfuzz"`. One
untimed run of each first warms the file cache, and the project's modules are compiled first, as
an installed package has them (the installed libraries come compiled; with
PYTHONDONTWRITEBYTECODE set, `ask` would otherwise compile every module of the project on every
run). The tests assert what `ask` does and loads, never how long it takes.
"""

from __future__ import annotations

import compileall
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "rice hyesan"
BARE = "import telegram.ext, sqlmodel, rapidfuzz"
ASK_IMPORTS = "import bot.entrypoints.cli, bot.offline.demo, db.engine, bot.services.catalogue"
TARGET = 2.0
PACKAGES = ("bot", "db", "config", "emulator")
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def cli_command() -> list[str]:
    """The installed `jangmadang` script beside this Python, else the module."""
    script = Path(sys.executable).with_name("jangmadang")
    if script.is_file():
        return [sys.executable, str(script)]
    return [sys.executable, "-m", "bot.entrypoints.cli"]


def _env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = f"sqlite:///{folder}/startup.sqlite3"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def _timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return seconds, proc.stdout, proc.stderr


def import_costs(
    stderr: str, *, after: str | None = None, top: int = 10
) -> list[tuple[str, float]]:
    """The largest imports of a `-X importtime` listing made at its top two levels (seconds,
    cumulative), counting only those after the top-level import of `after`."""
    rows = [m for m in map(_IMPORT_LINE.match, stderr.splitlines()) if m is not None]
    if after is not None:
        marks = [i for i, m in enumerate(rows) if m.group(4) == after and len(m.group(3)) == 1]
        rows = rows[marks[-1] + 1 :] if marks else rows
    costs = [(m.group(4), int(m.group(2)) / 1e6) for m in rows if len(m.group(3)) <= 3]
    return sorted(costs, key=lambda item: -item[1])[:top]


def run(rounds: int = 5) -> dict[str, Any]:
    """Median wall seconds of `ask` and of the bare imports over `rounds` each, their ratio,
    and the largest imports of the modules `ask` loads."""
    ask = [*cli_command(), "ask", QUESTION]
    bare = [sys.executable, "-c", BARE]
    for package in PACKAGES:
        compileall.compile_dir(ROOT / package, quiet=1)
    with tempfile.TemporaryDirectory(prefix="jm-startup-") as tmp:
        folder = Path(tmp)
        env = _env(folder)
        seed_seconds, _, _ = _timed([*cli_command(), "seed"], env, folder)
        _timed(bare, env, folder)
        _, answer, _ = _timed(ask, env, folder)
        if "Hyesan" not in answer:
            raise RuntimeError(f"ask gave no Hyesan answer: {answer[:500]}")
        asks, bares = [], []
        for _ in range(rounds):
            bares.append(_timed(bare, env, folder)[0])
            asks.append(_timed(ask, env, folder)[0])
        # The modules `ask` loads, in a process of their own: under `-X importtime` the
        # command's child processes (the chart workers' fork server) would write there too.
        # After the bare imports: what `ask` loads beyond them.
        probe = f"{BARE}; {ASK_IMPORTS}"
        _, _, listing = _timed([sys.executable, "-X", "importtime", "-c", probe], env, folder)
    ask_median, bare_median = statistics.median(asks), statistics.median(bares)
    return {
        "ask": ask_median,
        "bare": bare_median,
        "ratio": ask_median / bare_median,
        "asks": asks,
        "bares": bares,
        "seed_seconds": seed_seconds,
        "imports": import_costs(listing, after=BARE.rsplit(", ", 1)[-1]),
        "met": ask_median / bare_median <= TARGET,
    }


def main() -> dict[str, Any]:
    """Run and print the figures."""
    print(
        f'`jangmadang ask "{QUESTION}"` on a seeded SQLite database, against '
        f'`python -c "{BARE}"`, median of 5 fresh processes each:'
    )
    r = run()
    print(
        f"  ask {r['ask']:.2f} s, bare imports {r['bare']:.2f} s "
        f"(samples: ask {', '.join(f'{s:.2f}' for s in r['asks'])}; "
        f"bare {', '.join(f'{s:.2f}' for s in r['bares'])})"
    )
    print(
        f"  ask / bare imports = {r['ratio']:.2f} (target <= {TARGET:g}): "
        f"{'met' if r['met'] else 'missed'}"
    )
    print("  largest imports of ask's modules beyond the bare imports (cumulative):")
    for name, seconds in r["imports"]:
        print(f"    {name:40} {seconds * 1e3:6.0f} ms")
    return r


if __name__ == "__main__":
    main()

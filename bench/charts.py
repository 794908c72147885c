"""Answers under chart load: the bot run unchanged (`jangmadang run`, its own process) against the
Bot API emulator on loopback (latency off, flood limits off), on a seeded SQLite file.

Measured in one run, each against a reference from the same run:
- idle: one user asks "rice hyesan" again and again; p95 from the question to the first reply;
- reuse: 40 users each ask for the same four charts at once (160 requests): charts drawn and
  uploaded (at most 4) against sent again by file_id; then a figure is added to one series and
  40 users ask for that chart again: drawn and uploaded once more;
- loaded, charts kept: the same question's p95 while 40 users keep asking for their four charts;
- loaded, every chart new: the same while 40 users each ask for four charts nobody asked before
  (other periods and markets): the worker draws, the queue fills, the rest are told "busy".
"""

from __future__ import annotations

import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from bot.offline.runtime import demo_token
from bot.services.catalogue import load_catalogue
from emulator import Emulator, EmulatorClient, EmulatorConfig
from tests.support.bot import seeded_engine
from tests.support.clock import NOW
from tests.support.factories import add_price

PLAIN = "rice hyesan"
PLAIN_USER = 8_000_001
CHART_USERS = 40
QUESTIONS = 60
KEPT = ("/trend rice", "/trend corn", "/trend us dollar", "/trend chinese yuan")
REPLY_TIMEOUT = 120.0
# Charts nobody asked before: each a commodity over a period (and markets) of its own.
_GOODS = ("rice", "corn", "us dollar", "chinese yuan", "pork", "gasoline", "diesel")
_SINCE = range(2008, 2022)


def _new_charts() -> list[str]:
    combos = itertools.product(_SINCE, _GOODS)
    return [f"/trend {good} since {year}" for year, good in combos]


def _p95(values: list[float]) -> float:
    return (
        statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]
    )


async def _first_reply(client: EmulatorClient, user: int, text: str) -> tuple[float, list[Any]]:
    """Send `text` as `user`; return the seconds to the bot's first message, and that batch."""
    t0 = time.perf_counter()
    sent = await client.send_text(user, text)
    batch = await client.wait(sent["chat_id"], sent["seq"], REPLY_TIMEOUT)
    if not batch:
        raise RuntimeError(f"no reply to {text!r} within {REPLY_TIMEOUT:.0f} s")
    return time.perf_counter() - t0, batch


_plain_users = itertools.count(PLAIN_USER)


async def _plain_p95(client: EmulatorClient, count: int = QUESTIONS) -> tuple[float, float]:
    # A new asker each time: Telegram's one message a second per chat is not what is measured.
    seconds = [(await _first_reply(client, next(_plain_users), PLAIN))[0] for _ in range(count)]
    return _p95(seconds), statistics.median(seconds)


async def _ask_all(client: EmulatorClient, user: int, questions: list[str]) -> list[Any]:
    """Send `questions` at once as `user`; return the bot's first message to each, in order."""
    sent = [await client.send_text(user, q) for q in questions]
    chat, after = sent[0]["chat_id"], sent[0]["seq"] - 1
    seen: dict[int, Any] = {}
    deadline = time.perf_counter() + REPLY_TIMEOUT
    while len(seen) < len(questions):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{len(seen)} of {len(questions)} replies in {REPLY_TIMEOUT:.0f} s")
        batch = await client.wait(chat, after, 5.0)
        for message in batch:
            seen.setdefault(message["message_id"], message)
            after = max(after, message["seq"])
    return [seen[k] for k in sorted(seen)][: len(questions)]


async def _while(load: Callable[[asyncio.Event], Awaitable[Any]], client: EmulatorClient):
    """The plain question's p95 while `load` runs; the load stops when the questions are done."""
    done = asyncio.Event()
    task = asyncio.create_task(load(done))
    # Let the load get going before measuring.
    await asyncio.sleep(0.5)
    p95, median = await _plain_p95(client)
    done.set()
    result = await task
    return p95, median, result


async def _charts(client: EmulatorClient) -> dict[str, int]:
    calls = await client.calls()
    ok = [c for c in calls if c["ok"] and c["method"] == "sendPhoto"]
    return {
        "uploaded": sum(isinstance(c["params"].get("photo"), dict) for c in ok),
        "by_file_id": sum(isinstance(c["params"].get("photo"), str) for c in ok),
    }


def _kind(batch: list[Any]) -> str:
    kinds = {m.get("kind") for m in batch}
    if "photo" in kinds:
        return "chart"
    text = " ".join(m.get("text") or "" for m in batch)
    if "try again in a minute" in text:
        return "busy"
    if "could not be drawn" in text:
        return "failed"
    return "text"


async def _bot(root: str, database: Path, token: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_URL": root,
        "DATABASE_URL": f"sqlite:///{database}",
        "SEND_DIGESTS": "false",
        "LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).with_name("jangmadang")), "run"]
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


async def _run(folder: Path) -> dict[str, Any]:
    database = folder / "bench.sqlite3"
    engine = seeded_engine(database)
    token = demo_token()
    config = EmulatorConfig(token=token, global_rate=None, chat_rate=None, group_rate_per_min=None)
    emulator = Emulator(config)
    root = await emulator.start()
    client = EmulatorClient(root, timeout=REPLY_TIMEOUT + 10)
    bot = await _bot(root, database, token, folder / "bot.log")
    try:
        # Up when it answers; the first answers warm it up.
        await _first_reply(client, PLAIN_USER, PLAIN)
        await _plain_p95(client, 10)
        idle_p95, idle_median = await _plain_p95(client)

        users = [9_000_000 + i for i in range(CHART_USERS)]
        t0 = time.perf_counter()
        first = [
            m
            for ms in await asyncio.gather(*(_ask_all(client, u, list(KEPT)) for u in users))
            for m in ms
        ]
        reuse_seconds = time.perf_counter() - t0
        reuse = await _charts(client)
        reuse_kinds = [_kind([m]) for m in first]

        catalogue = load_catalogue(engine)
        add_price(
            engine,
            catalogue,
            now=NOW,
            commodity="rice",
            market="hyesan",
            price="9300",
            date="2026-11-25",
        )
        await asyncio.gather(*(_ask_all(client, u, ["/trend rice"]) for u in users))
        after_figure = await _charts(client)

        async def kept_load(done: asyncio.Event) -> int:
            asked = 0

            async def one(user: int) -> None:
                nonlocal asked
                while not done.is_set():
                    await _ask_all(client, user, list(KEPT))
                    asked += len(KEPT)

            await asyncio.gather(*(one(u) for u in users))
            return asked

        kept_p95, kept_median, kept_asked = await _while(kept_load, client)

        fresh = iter(_new_charts())
        outcomes: list[str] = []

        async def new_load(done: asyncio.Event) -> None:
            async def one(user: int, questions: list[str]) -> None:
                replies = await _ask_all(client, user, questions)
                outcomes.extend(_kind([m]) for m in replies)

            await asyncio.gather(
                *(one(u, [next(fresh) for _ in range(4)]) for u in users[: len(_new_charts()) // 4])
            )

        new_p95, new_median, _ = await _while(new_load, client)
        return {
            "idle_p95_ms": idle_p95 * 1000,
            "idle_median_ms": idle_median * 1000,
            "reuse_requests": len(first),
            "reuse_charts": reuse_kinds.count("chart"),
            "reuse_uploaded": reuse["uploaded"],
            "reuse_by_file_id": reuse["by_file_id"],
            "reuse_seconds": reuse_seconds,
            "after_figure_uploaded": after_figure["uploaded"] - reuse["uploaded"],
            "after_figure_by_file_id": after_figure["by_file_id"] - reuse["by_file_id"],
            "kept_p95_ms": kept_p95 * 1000,
            "kept_median_ms": kept_median * 1000,
            "kept_chart_requests": kept_asked,
            "new_p95_ms": new_p95 * 1000,
            "new_median_ms": new_median * 1000,
            "new_requests": len(outcomes),
            "new_drawn": outcomes.count("chart"),
            "new_busy": outcomes.count("busy"),
            "new_failed": outcomes.count("failed"),
        }
    finally:
        bot.terminate()
        with suppress(subprocess.TimeoutExpired):
            bot.wait(timeout=20)
        if bot.poll() is None:
            bot.kill()
        await client.aclose()
        await emulator.stop()
        engine.dispose()


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="jm-chart-bench-") as folder:
        return asyncio.run(_run(Path(folder)))


def report(result: dict[str, Any]) -> None:
    idle = result["idle_p95_ms"]
    reused = result["reuse_by_file_id"] / max(1, result["reuse_requests"])
    print(
        f"plain question p95, idle: {idle:.1f} ms (median {result['idle_median_ms']:.1f} ms)\n"
        f"160 chart requests, 4 distinct charts: {result['reuse_uploaded']} drawn and uploaded, "
        f"{result['reuse_by_file_id']} sent by file_id ({reused:.0%}), "
        f"{result['reuse_charts']} charts received in {result['reuse_seconds']:.1f} s\n"
        f"a figure added, 40 askers of its chart: {result['after_figure_uploaded']} drawn and "
        f"uploaded, {result['after_figure_by_file_id']} by file_id\n"
        f"plain p95 while 40 users ask for their 4 kept charts ({result['kept_chart_requests']} "
        f"chart requests): {result['kept_p95_ms']:.1f} ms = {result['kept_p95_ms'] / idle:.2f}x idle\n"
        f"plain p95 while 40 users ask for 4 charts never drawn ({result['new_requests']} "
        f"requests: {result['new_drawn']} drawn, {result['new_busy']} told busy, "
        f"{result['new_failed']} failed): {result['new_p95_ms']:.1f} ms = "
        f"{result['new_p95_ms'] / idle:.2f}x idle"
    )


def main() -> None:
    report(run())

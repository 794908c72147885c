"""A digest broadcast to N private chats through the real Application, against the emulator.

The bot runs as in production (build_application, polling, the JobQueue tick, the paced sender)
on a fresh seeded SQLite file; the emulator answers with 100-300 ms latency and enforces
Telegram's flood limits (overall and per chat). Figures are ratios against the run's own
references: sustained sends/s against the configured budget, question latency during the
broadcast against the same questions asked before it.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bench.subscribers import (
    filter_sets,
    insert_subscriptions,
    ledger_counts,
    pairs_with_figures,
    seeded_database,
)
from bot.app import build_application
from bot.bootstrap import bootstrap
from bot.delivery.jobs import SENDER_KEY
from bot.delivery.sender import Sender
from bot.offline.runtime import demo_token, polling
from bot.services.catalogue import load_catalogue
from config.settings import Settings
from db.models import Subscription
from emulator import Emulator, EmulatorClient, EmulatorConfig

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
FIRST_CHAT = 2_000_001
ASKER = 900_000_001
LATENCY_MS = (100, 300)
TELEGRAM_RATE = 30.0
# Price questions a user asks one after another, as typed.
QUESTIONS = (
    "rice hyesan",
    "/price corn",
    "rice pyongyang",
    "corn sinuiju",
    "dollar pyongyang",
    "/price rice sinuiju",
    "yuan sinuiju",
    "gasoline pyongyang",
    "/price diesel hyesan",
    "pork pyongyang",
    "corn hyesan",
    "rice chongjin",
    "/price dollar hyesan",
    "corn chongjin",
    "gasoline sinuiju",
    "쌀 혜산",
    "/price pork hyesan",
    "diesel pyongyang",
    "yuan hyesan",
    "/price rice",
)
WARM_UP = ("rice sinuiju", "/price corn pyongyang", "dollar sinuiju")
# A user does not type faster than this; it also keeps the asker under the 1/s chat limit.
QUESTION_GAP = 1.2
QUIET = 0.4
REPLY_TIMEOUT = 60.0
# Stop waiting for the ledger to drain after this long without any row changing status.
STALL_SECONDS = 120.0


class _SkippedTicks(logging.Filter):
    """Count APScheduler's "skipped: maximum number of running instances" warnings, not print them.

    With a 1 s tick, a tick that queues thousands of digests outlasts the next ones; each skip
    is expected (max_instances=1) and would otherwise flood the figures.
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if "maximum number of running instances" in record.getMessage():
            self.count += 1
            return False
        return True


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def emulator_rate_for(budget: float) -> float:
    """Telegram's 30/s, raised to 1.2x the budget for a quick run above it (100 -> 120)."""
    return max(TELEGRAM_RATE, budget * 1.2)


async def _ask(client: EmulatorClient, text: str) -> tuple[float, float, float]:
    """Ask one question; return seconds to the first reply and the wall times of both ends."""
    wall = time.time()
    t0 = time.perf_counter()
    sent = await client.send_text(ASKER, text)
    batch = await client.wait(sent["chat_id"], sent["seq"], REPLY_TIMEOUT)
    seconds = time.perf_counter() - t0
    if not batch:
        raise RuntimeError(f"no reply to {text!r} within {REPLY_TIMEOUT:.0f} s")
    # Let the rest of the answer arrive before the next question.
    after = max(m["seq"] for m in batch)
    while batch:
        batch = await client.wait(sent["chat_id"], after, QUIET)
        after = max([after, *(m["seq"] for m in batch)])
    return seconds, wall, wall + seconds


async def _ask_all(client: EmulatorClient, questions: tuple[str, ...]) -> list[tuple]:
    out = []
    last = 0.0
    for text in questions:
        gap = QUESTION_GAP - (time.perf_counter() - last)
        if gap > 0:
            await asyncio.sleep(gap)
        last = time.perf_counter()
        out.append(await _ask(client, text))
    return out


async def _drained(engine: Any, rows: int) -> dict[str, int]:
    """Wait until every ledger row has an outcome (or nothing moves for STALL_SECONDS)."""
    previous: dict[str, int] = {}
    changed = time.monotonic()
    while True:
        counts = await asyncio.to_thread(ledger_counts, engine)
        open_rows = counts.get("pending", 0) + counts.get("sending", 0)
        if sum(counts.values()) >= rows and open_rows == 0:
            return counts
        if counts != previous:
            previous, changed = counts, time.monotonic()
        elif time.monotonic() - changed > STALL_SECONDS:
            return counts
        await asyncio.sleep(1.0)


async def _run(
    subscribers: int, budget: float, emulator_rate: float, filters: int, questions: tuple[str, ...]
) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="jm-broadcast-bench-"))
    path = folder / "broadcast.sqlite3"
    engine = seeded_database(path, now=NOW)
    catalogue = load_catalogue(engine)
    sets = filter_sets(catalogue, filters, prefer=pairs_with_figures(engine))
    chat_ids = list(range(FIRST_CHAT, FIRST_CHAT + subscribers))
    # Not due yet: the broadcast starts once the idle questions are answered.
    insert_subscriptions(
        engine, chat_ids, sets, due=NOW + timedelta(days=1), now=NOW - timedelta(days=7)
    )
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{path}",
        telegram_bot_token=None,
        admin_ids=[],
        send_budget=budget,
        digest_tick_seconds=1.0,
    )
    started = time.monotonic()

    def clock() -> datetime:
        return NOW + timedelta(seconds=time.monotonic() - started)

    services = bootstrap(settings, engine, clock)
    token = demo_token()
    emulator = Emulator(
        EmulatorConfig(token=token, global_rate=emulator_rate, latency_ms=LATENCY_MS)
    )
    root = await emulator.start()
    client = EmulatorClient(root, timeout=60.0)
    out: dict[str, Any] = {
        "subscribers": subscribers,
        "budget": budget,
        "emulator_rate": emulator_rate,
        "filters": len(sets),
        "latency_ms": LATENCY_MS,
        "send_concurrency": settings.send_concurrency,
    }
    try:
        await client.open_chats(chat_ids, language_code="en")
        application = build_application(
            settings, engine=engine, token=token, api_url=root, services=services
        )
        async with polling(application, poll_timeout=10):
            sender: Sender = application.bot_data[SENDER_KEY]
            await _ask_all(client, WARM_UP)
            idle = await _ask_all(client, questions)
            await client.reset_stats()

            def make_due() -> None:
                with engine.begin() as conn:
                    conn.execute(
                        update(Subscription).values(next_due_at=clock() - timedelta(minutes=1))  # type: ignore[arg-type]
                    )

            broadcast_started = time.perf_counter()
            due_wall = time.time()
            await asyncio.to_thread(make_due)
            # Ask once the sender is past its first messages, in its steady state.
            while (await client.stats())["sends_ok"] < max(50, 3 * budget):
                if time.perf_counter() - broadcast_started > 300:
                    raise RuntimeError("the broadcast did not start within 300 s")
                await asyncio.sleep(0.2)
            during = await _ask_all(client, questions)
            statuses = await _drained(engine, subscribers)
            broadcast_seconds = time.perf_counter() - broadcast_started
            stats = await client.stats()
            sent = await client.sent(method="sendMessage")
            out["sender"] = {
                "sent": sender.stats.sent,
                "failed": sender.stats.failed,
                "retried": sender.stats.retried,
                "flood_waits": sender.stats.flood_waits,
            }
    finally:
        await client.aclose()
        await emulator.stop()
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)

    subscribed = set(chat_ids)
    digests = [s for s in sent if s["chat_id"] in subscribed]
    digest_at = sorted(s["at"] for s in digests)
    per_chat: dict[int, int] = {}
    seen: set[tuple[int, str]] = set()
    repeats = 0
    for s in digests:
        per_chat[s["chat_id"]] = per_chat.get(s["chat_id"], 0) + 1
        # The same text twice in one chat: a digest (or part) sent again.
        repeats += (s["chat_id"], s["text"]) in seen
        seen.add((s["chat_id"], s["text"]))
    window = digest_at[-1] - digest_at[0] if len(digest_at) > 1 else float("nan")
    sustained = (len(digest_at) - 1) / window if len(digest_at) > 1 else 0.0
    stats_window = (stats["last_ok_at"] or 0.0) - (stats["first_ok_at"] or 0.0)
    all_sends = stats["sends_ok"] + stats["sends_429"] + stats["sends_failed"]
    idle_seconds = [q[0] for q in idle]
    during_seconds = [q[0] for q in during]
    inside = sum(
        1 for _, asked, answered in during if digest_at and digest_at[0] <= asked <= digest_at[-1]
    )
    out.update(
        {
            "broadcast_seconds": broadcast_seconds,
            "digest_messages": len(digest_at),
            "chats_reached": len(per_chat),
            "messages_per_chat_max": max(per_chat.values(), default=0),
            "repeats": repeats,
            "first_send_after": digest_at[0] - due_wall if digest_at else float("nan"),
            "send_seconds": window,
            "sustained": sustained,
            "ratio": sustained / budget,
            # The brief's figure from the emulator's counters; it includes the answers to the
            # questions, and their window runs on when questions outlast the broadcast.
            "stats_sustained": (stats["sends_ok"] - 1) / stats_window if stats_window > 0 else 0.0,
            "sends": all_sends,
            "sends_429": stats["sends_429"],
            "sends_failed": stats["sends_failed"],
            "share_429": stats["sends_429"] / all_sends if all_sends else 0.0,
            "statuses": statuses,
            "all_sent": statuses.get("sent", 0) == subscribers
            and sum(statuses.values()) == subscribers,
            "questions": len(questions),
            "idle_p95": p95(idle_seconds),
            "idle_median": statistics.median(idle_seconds),
            "during_p95": p95(during_seconds),
            "during_median": statistics.median(during_seconds),
            "latency_ratio": p95(during_seconds) / p95(idle_seconds),
            "asked_during": inside,
        }
    )
    return out


def run(
    subscribers: int = 10_000,
    budget: float = 25.0,
    *,
    emulator_rate: float | None = None,
    filters: int = 50,
    questions: tuple[str, ...] = QUESTIONS,
) -> dict[str, Any]:
    """Broadcast one digest to each of `subscribers` chats; return throughput and latency figures."""
    rate = emulator_rate if emulator_rate is not None else emulator_rate_for(budget)
    # The bot's own warnings (flood pauses, failures) show up marked among the figures.
    logging.basicConfig(level=logging.WARNING, format="  [log %(name)s] %(message)s")
    skipped = _SkippedTicks()
    scheduler = logging.getLogger("apscheduler.scheduler")
    scheduler.addFilter(skipped)
    try:
        out = asyncio.run(_run(subscribers, budget, rate, filters, questions))
    finally:
        scheduler.removeFilter(skipped)
    out["ticks_skipped"] = skipped.count
    return out

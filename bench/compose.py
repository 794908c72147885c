"""Queueing due digests: 100,000 subscribers sharing 1,000 filter sets against 1,000 subscribers
with those 1,000 filter sets, each on a fresh seeded SQLite database.

Composing is once per distinct filter set, so both runs compose the same 1,000 bodies; the
difference is the work per subscriber (reading it, its schedule, its ledger row, its next due
time), which should stay small next to composing.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.subscribers import (
    body_count,
    filter_sets,
    insert_subscriptions,
    ledger_counts,
    seeded_database,
)
from bot.services import digests
from bot.services.catalogue import load_catalogue

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
FIRST_CHAT = 2_000_001


class _TimedCompose:
    """Stand-in for digests.compose that adds up the seconds spent in it."""

    def __init__(self, compose: Callable[..., list[str]]) -> None:
        self.compose = compose
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> list[str]:
        t0 = time.perf_counter()
        try:
            return self.compose(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0
            self.calls += 1


def _case(folder: Path, name: str, subscribers: int, filters: int, *, profile: bool) -> dict:
    engine = seeded_database(folder / f"{name}.sqlite3", now=NOW)
    try:
        catalogue = load_catalogue(engine)
        sets = filter_sets(catalogue, filters)
        chat_ids = range(FIRST_CHAT, FIRST_CHAT + subscribers)
        t0 = time.perf_counter()
        insert_subscriptions(
            engine, chat_ids, sets, due=NOW - timedelta(minutes=1), now=NOW - timedelta(days=7)
        )
        insert_seconds = time.perf_counter() - t0
        timed = _TimedCompose(digests.compose)
        profiler = cProfile.Profile() if profile else None
        digests.compose = timed  # type: ignore[assignment]
        try:
            t0 = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            result = digests.enqueue_due(engine, catalogue, now=NOW)
            if profiler is not None:
                profiler.disable()
            seconds = time.perf_counter() - t0
        finally:
            digests.compose = timed.compose  # type: ignore[assignment]
        ledger = ledger_counts(engine)
        out: dict[str, Any] = {
            "subscribers": subscribers,
            "filters": filters,
            "insert_seconds": insert_seconds,
            "seconds": seconds,
            "compose_seconds": timed.seconds,
            "rest_seconds": seconds - timed.seconds,
            "ledger_rows": sum(ledger.values()),
            "deliveries": result.deliveries,
            "composed": result.composed,
            "compose_calls": timed.calls,
            "bodies": body_count(engine),
        }
        if profiler is not None:
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(25)
            out["profile"] = text.getvalue()
        return out
    finally:
        engine.dispose()


def run(filters: int = 1_000, subscribers: int = 100_000, *, profile: bool = False) -> dict:
    """Time enqueue_due for (a) one subscriber per filter set, (b) `subscribers` sharing them."""
    folder = Path(tempfile.mkdtemp(prefix="jm-compose-bench-"))
    try:
        a = _case(folder, "a", filters, filters, profile=False)
        b = _case(folder, "b", subscribers, filters, profile=profile)
        return {
            "a": a,
            "b": b,
            "ratio": b["seconds"] / a["seconds"],
            "compose_ratio": b["compose_seconds"] / a["compose_seconds"],
            "per_subscriber_ms": (b["rest_seconds"] - a["rest_seconds"])
            / max(1, subscribers - filters)
            * 1e3,
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)

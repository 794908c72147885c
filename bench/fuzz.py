"""Fuzzing the real bot at length: thousands of hostile inputs through the bot and the emulator.

The inputs are those of the fuzz properties (tests/support/fuzz.py, tests/e2e/test_fuzz.py), drawn
by hypothesis from a seed: texts and commands, each sent once as a fresh user and once as an
editor (an owner in ADMIN_IDS), who now and then opens a guided form first (/addprice or
/addreport; the form's opening is counted among the editors' commands); forged button taps of every callback kind, as a user and as an
editor; inline queries; CSV files an editor sends. The bot runs as in production (the Application
polling the emulator, its own pacing) on a fresh seeded SQLite file, at the tests' fixed clock;
the emulator's flood limits are off, so that a refusal is about what a reply holds.

Printed: per kind and role, the inputs sent, those answered (a reply in the chat, or the query
answered), those left silent as expected (commands addressed to another bot), the unhandled
errors, the refused calls and the inputs mishandled; then the causes of failure, most frequent
first, with the first few inputs (repr) showing each: the defects still open.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from tests.support.bot import seeded_engine
from tests.support.fuzz import (
    FUZZ_SETTINGS,
    INPUT_TIMEOUT,
    STOPPED,
    FuzzBot,
    Outcome,
    as_user_and_editor,
    callback_data,
    conversations,
    csv_files,
    explore,
    fuzz_bot,
    group_failures,
    inline_queries,
    shown,
    unlimited_config,
)
from tests.support.services import make_services
from tests.support.settings import make_settings

# Inputs the bot may leave unfinished (30 s each) before the run stops sending: each one still
# holds a thread, and what follows would only crawl (--max-stuck).
MAX_STUCK = 3
SHOWN_PER_CAUSE = 3
PROGRESS_EVERY = 500


async def _fuzz(
    bot: FuzzBot, *, messages_: int, taps: int, queries: int, files: int, seed_value: int
) -> list[Outcome]:
    async def upload(file: Any) -> list[Outcome]:
        return [await bot.csv(file)]

    # Messages last: an input the bot never finishes stops the run, and the editors' guided
    # forms are where that has happened.
    plan: list[
        tuple[st.SearchStrategy[Any], int, Callable[[Any], Coroutine[Any, Any, list[Outcome]]], str]
    ]
    plan = [
        (callback_data(), taps // 2, as_user_and_editor(bot.callback), "taps"),
        (inline_queries(), queries // 2, as_user_and_editor(bot.inline), "inline queries"),
        (csv_files(), files, upload, "CSV files"),
        (conversations(), messages_ // 2, bot.conversation, "messages"),
    ]
    outcomes: list[Outcome] = []
    for strategy, count, send, label in plan:
        if count <= 0:
            continue
        started = time.perf_counter()

        def progress(drawn: int, label: str = label, started: float = started) -> None:
            if drawn % PROGRESS_EVERY == 0:
                elapsed = time.perf_counter() - started
                print(f"  ... {label}: {drawn:,} drawn, {elapsed:.0f} s", flush=True)

        config = settings(
            max_examples=count,
            database=None,
            deadline=None,
            phases=(Phase.generate,),
            suppress_health_check=list(HealthCheck),
        )
        outcomes += await explore(
            strategy, send, config=config, seed_value=seed_value, progress=progress
        )
    return outcomes


def run(
    messages: int = 10_000,
    taps: int = 1_000,
    queries: int = 1_000,
    files: int = 200,
    seed: int = 0,
    max_stuck: int = MAX_STUCK,
) -> dict[str, Any]:
    """Fuzz a fresh bot; return the outcomes, the counts by (kind, role) and the seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp)
        engine = seeded_engine(path / "fuzz.sqlite3")
        bot_settings = make_settings(path, **FUZZ_SETTINGS)
        services = make_services(bot_settings, engine)

        async def main() -> tuple[list[Outcome], float]:
            config = unlimited_config()
            async with fuzz_bot(bot_settings, engine, services, config, max_stuck=max_stuck) as bot:
                started = time.perf_counter()
                outcomes = await _fuzz(
                    bot,
                    messages_=messages,
                    taps=taps,
                    queries=queries,
                    files=files,
                    seed_value=seed,
                )
                return outcomes, time.perf_counter() - started

        try:
            outcomes, seconds = asyncio.run(main())
        finally:
            engine.dispose()
    return {
        "outcomes": outcomes,
        "counts": counts(outcomes),
        "seconds": seconds,
        "max_stuck": max_stuck,
    }


def counts(outcomes: list[Outcome]) -> dict[tuple[str, str], Counter[str]]:
    """Per (kind, role): sent, answered, silent as expected, errors, refused, mishandled."""
    table: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for o in outcomes:
        row = table[(o.kind, o.role)]
        if o.skipped:
            row["skipped"] += 1
            continue
        row["sent"] += 1
        if o.answered or (o.answered is None and o.replies):
            row["answered"] += 1
        if not o.expect_reply and not o.replies:
            row["silent"] += 1
        row["messages"] += o.replies
        row["errors"] += len(o.errors)
        row["refused"] += len(o.refused)
        row["mishandled"] += 0 if o.ok else 1
    return dict(table)


COLUMNS = ("sent", "answered", "silent", "messages", "errors", "refused", "mishandled")


def report(result: dict[str, Any]) -> None:
    """Print the counts and the failing inputs by cause."""
    table: dict[tuple[str, str], Counter[str]] = result["counts"]
    total: Counter[str] = Counter()
    print(f"  {'kind':15} {'role':6} " + " ".join(f"{c:>10}" for c in COLUMNS))
    for (kind, role), row in sorted(table.items()):
        total.update(row)
        print(f"  {kind:15} {role:6} " + " ".join(f"{row[c]:>10,}" for c in COLUMNS))
    print(f"  {'all':15} {'':6} " + " ".join(f"{total[c]:>10,}" for c in COLUMNS))
    seconds = result["seconds"]
    outcomes: list[Outcome] = result["outcomes"]
    stopped = sum(1 for o in outcomes if o.skipped == STOPPED)
    print(
        f"  {total['sent']:,} inputs in {seconds:.0f} s ({total['sent'] / seconds:.0f}/s); "
        f"{total['skipped'] - stopped:,} the emulator's control API would not take"
    )
    if stopped:
        print(
            f"  STOPPED EARLY: {result['max_stuck']} inputs were never finished (over {INPUT_TIMEOUT:g} s "
            f"each), so the last {stopped:,} inputs were not sent"
        )
    slow = sorted((o for o in outcomes if not o.skipped), key=lambda o: -o.seconds)[:3]
    print(
        "  slowest: "
        + "; ".join(f"{o.seconds:.1f} s {o.role}/{o.kind} {shown(o.data, 60)}" for o in slow)
    )
    replies = Counter(min(o.replies, 3) for o in outcomes if o.answered is None and not o.skipped)
    print(
        "  bot messages per text input: "
        + ", ".join(f"{'3+' if n == 3 else n}: {replies[n]:,}" for n in sorted(replies))
    )
    grouped = group_failures(outcomes)
    if not grouped:
        print("  no input was mishandled")
        return
    print(f"  {len(grouped)} causes of failure, most frequent first:")
    for cause, failed in grouped.items():
        print(f"  {len(failed):>6,} x {cause}")
        for o in failed[:SHOWN_PER_CAUSE]:
            print(f"           {o.role}/{o.kind}: {shown(o.data, 200)}")


def main(
    *,
    messages: int = 10_000,
    taps: int = 1_000,
    queries: int = 1_000,
    files: int = 200,
    seed: int = 0,
    max_stuck: int = MAX_STUCK,
) -> dict[str, Any]:
    print(
        f"Fuzzing the bot through the emulator (seed {seed}): {messages:,} texts and commands "
        f"(each drawn one sent as a fresh user and as an editor), {taps:,} forged button taps, "
        f"{queries:,} inline queries, {files:,} CSV files from an editor:",
        flush=True,
    )
    result = run(messages, taps, queries, files, seed, max_stuck)
    report(result)
    return result

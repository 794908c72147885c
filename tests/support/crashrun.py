"""kill -9 during a broadcast, restart, and count who got their digest: none skipped, no doubles.

Each trial: a fresh seeded SQLite database with N subscribers due now, the offline emulator in
this process, and the real bot (`jangmadang run`) in a child process. Once a random number of
digests has reached the emulator the child is killed with SIGKILL; the ledger is read at that
instant; a new child is started and left to finish. A chat that got its digest twice is only acceptable when
the ledger had not recorded it as sent at the kill (the send was in flight).

Run the trials behind the README's figure: `python -m tests.support.crashrun --trials 20`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session, select

from bot.offline.runtime import demo_token
from bot.services.catalogue import load_catalogue, sync_catalogue
from bot.services.seed import load_sample
from db.engine import make_engine, upgrade
from db.models import DigestDelivery, Subscription
from emulator import Emulator, EmulatorClient, EmulatorConfig
from tests.support.db import sqlite_url
from tests.support.factories import subscription_row
from tests.support.waiting import wait_until

HEADER = "jangmadang digest"


@dataclass
class TrialResult:
    subscribers: int
    sent_before_kill: int
    in_flight_at_kill: int
    skipped: int
    duplicates_known: int
    duplicates_in_flight: int
    statuses: dict[str, int] = field(default_factory=dict)


def _prepare(path: Path | str, subscribers: int) -> None:
    engine = make_engine(path if isinstance(path, str) else sqlite_url(path))
    upgrade(engine)
    now = datetime.now(UTC)
    sync_catalogue(engine, now=now)
    load_sample(engine, now=now)
    catalogue = load_catalogue(engine)
    goods = sorted(catalogue.commodity_labels)[:10]
    places = sorted(catalogue.market_labels)[:5]
    # Narrow filters: each digest is one message, so messages per chat = deliveries.
    rows = [
        subscription_row(
            10_000 + i,
            goods=(goods[i % len(goods)],),
            places=(places[i % len(places)],),
            due=now - timedelta(minutes=1),
            now=now,
        )
        for i in range(subscribers)
    ]
    with Session(engine) as session:
        session.connection().execute(insert(Subscription), rows)
        session.commit()
    engine.dispose()


def _spawn(command: str, root: str, token: str, db: Path | str, budget: float) -> subprocess.Popen:
    """Start `jangmadang <command>` in a child process against the emulator and database."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_URL": root,
        "DATABASE_URL": db if isinstance(db, str) else sqlite_url(db),
        "SEND_BUDGET": str(budget),
        "DIGEST_TICK_SECONDS": "0.5",
        "SENDER_LEASE_SECONDS": "10",
        "LOG_LEVEL": "WARNING",
        "ADMIN_IDS": "",
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from bot.entrypoints.cli import main; main()", command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[2],
    )


def _child(root: str, token: str, db: Path | str, budget: float) -> subprocess.Popen:
    """The bot: answers updates and sends."""
    return _spawn("run", root, token, db, budget)


def _worker(root: str, token: str, db: Path | str, budget: float) -> subprocess.Popen:
    """A sender without polling: the digest worker of a deployment with several processes."""
    return _spawn("send", root, token, db, budget)


def _ledger(db: Path | str) -> list[DigestDelivery]:
    engine = make_engine(db if isinstance(db, str) else sqlite_url(db))
    try:
        with Session(engine) as session:
            return list(session.exec(select(DigestDelivery)))
    finally:
        engine.dispose()


def _alive(*children: subprocess.Popen) -> None:
    """Raise if a bot process has exited: what a test waits for will not happen then."""
    for child in children:
        if child.poll() is not None:
            raise RuntimeError(f"the bot process exited with {child.returncode}")


def _sends_ok(client: EmulatorClient, child: subprocess.Popen) -> Callable[[], Awaitable[int]]:
    """A probe: how many sends the emulator accepted, while the bot lives."""

    async def probe() -> int:
        _alive(child)
        return (await client.stats())["sends_ok"]

    return probe


def _ledger_of(db: Path | str, *children: subprocess.Popen) -> Callable[[], list[DigestDelivery]]:
    """A probe: the ledger's rows, while the bot processes live."""

    def probe() -> list[DigestDelivery]:
        _alive(*children)
        return _ledger(db)

    return probe


async def trial(
    *, subscribers: int = 120, budget: float = 60.0, seed: int | None = None, workdir: Path
) -> TrialResult:
    rng = random.Random(seed)
    db = workdir / f"crash-{seed}-{time.monotonic_ns()}.sqlite3"
    _prepare(db, subscribers)
    token = demo_token()
    emulator = Emulator(EmulatorConfig(token=token, latency_ms=(5, 40), global_rate=budget * 1.5))
    root = await emulator.start()
    client = EmulatorClient(root)
    child = None
    try:
        await client.open_chats(range(10_000, 10_000 + subscribers))
        child = _child(root, token, db, budget)
        # Somewhere in the first four fifths of the broadcast, counted in digests delivered.
        kill_after = rng.randint(1, max(1, int(0.8 * subscribers)))
        await wait_until(
            _sends_ok(client, child),
            f"{kill_after} digests delivered by the bot (the moment to kill it)",
            until=lambda sends: sends >= kill_after,
            timeout=60,
            interval=0.01,
        )
        child.send_signal(signal.SIGKILL)
        child.wait()
        at_kill = await asyncio.to_thread(_ledger, db)
        known = {d.subscription_id for d in at_kill if d.status == "sent"}
        in_flight = {d.subscription_id for d in at_kill if d.status == "sending"}
        child = _child(root, token, db, budget)
        rows = await wait_until(
            _ledger_of(db, child),
            f"the restarted bot to finish the broadcast: {subscribers} ledger rows, all done",
            until=lambda rows: (
                len(rows) == subscribers
                and all(r.status in ("sent", "blocked", "failed") for r in rows)
            ),
            timeout=120,
            interval=0.1,
        )
        child.send_signal(signal.SIGTERM)
        await asyncio.to_thread(child.wait, 30)
        child = None
        per_chat = Counter(m["chat_id"] for m in await client.sent() if HEADER in m["text"].lower())
        # Subscription ids were inserted in chat order: id = chat - 10_000 + 1.
        skipped = sum(1 for i in range(subscribers) if per_chat[10_000 + i] == 0)
        doubles = {chat - 10_000 + 1 for chat, count in per_chat.items() if count > 1}
        return TrialResult(
            subscribers=subscribers,
            sent_before_kill=len(known),
            in_flight_at_kill=len(in_flight),
            skipped=skipped,
            duplicates_known=len(doubles & known),
            duplicates_in_flight=len(doubles - known),
            statuses=dict(Counter(r.status for r in rows)),
        )
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        await client.aclose()
        await emulator.stop()


async def two_workers(
    db: Path | str, *, subscribers: int = 100, budget: float = 40.0
) -> tuple[Counter, Counter]:
    """Two bot processes on one database: return messages per chat and ledger rows per sender."""
    _prepare(db, subscribers)
    token = demo_token()
    emulator = Emulator(EmulatorConfig(token=token, latency_ms=(5, 40), global_rate=budget * 1.5))
    root = await emulator.start()
    client = EmulatorClient(root)
    children: list[subprocess.Popen] = []
    try:
        await client.open_chats(range(10_000, 10_000 + subscribers))
        # Only one process may poll for updates; the second only sends (as a worker would).
        children.append(_child(root, token, db, budget))
        children.append(_worker(root, token, db, budget))
        rows = await wait_until(
            _ledger_of(db, *children),
            f"the two processes to finish the broadcast: {subscribers} ledger rows, all sent",
            until=lambda rows: len(rows) == subscribers and all(r.status == "sent" for r in rows),
            timeout=120,
            interval=0.1,
        )
        per_chat = Counter(m["chat_id"] for m in await client.sent() if HEADER in m["text"].lower())
        return per_chat, Counter(r.claimed_by.split(":")[1] for r in rows if r.claimed_by)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                await asyncio.to_thread(child.wait, 30)
            except subprocess.TimeoutExpired:
                child.kill()
        await client.aclose()
        await emulator.stop()


async def _main(trials: int, subscribers: int, budget: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        totals = Counter()
        for n in range(trials):
            result = await trial(subscribers=subscribers, budget=budget, seed=n, workdir=Path(tmp))
            totals.update(
                skipped=result.skipped,
                duplicates_known=result.duplicates_known,
                duplicates_in_flight=result.duplicates_in_flight,
                in_flight=result.in_flight_at_kill,
            )
            print(
                f"trial {n + 1:2}: killed after {result.sent_before_kill:4} sent, "
                f"{result.in_flight_at_kill} in flight; skipped {result.skipped}, "
                f"doubles known {result.duplicates_known}, "
                f"doubles in flight {result.duplicates_in_flight}; {result.statuses}",
                flush=True,
            )
        print(
            f"{trials} trials x {subscribers} subscribers: skipped {totals['skipped']}, "
            f"duplicates among known outcomes {totals['duplicates_known']}, "
            f"repeats of in-flight sends {totals['duplicates_in_flight']} "
            f"(of {totals['in_flight']} in flight)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--budget", type=float, default=60.0)
    args = parser.parse_args()
    asyncio.run(_main(args.trials, args.subscribers, args.budget))


if __name__ == "__main__":
    main()

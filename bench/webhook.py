"""Replies per second with two webhook replicas against one, measured in the same run.

Each phase starts from nothing: a fresh PostgreSQL schema, migrated and seeded with the catalogue
and the sample figures (tests.support.replicas.seed); the offline Bot API emulator on loopback,
its flood limits off and every Bot API call answered after a fixed latency (50 ms by default);
the round-robin test proxy (tests.support.proxy) in a process of its own, so that its cost can be
told from the emulator's; and N replicas of `jangmadang run` in webhook mode, each a child
process (tests.support.replicas), all on that schema. The emulator posts every update to the
proxy, the proxy hands the POSTs to the replicas in turn, and each replica stores what it is
posted and answers it (bot.delivery.inbox).

Once every replica answers /readyz and the webhook points at the proxy, a warm-up round (other
chats, not counted) goes through, then the measured round: C private chats each send Q price
questions answered in one message ("rice hyesan", "diesel", ...), all sent through the control
API as fast as it takes them (question 1 of every chat, then question 2, ...; a batch of sends
in flight at once, on aiohttp). The round ends when the emulator has counted C x Q successful
sends; each chat must then have exactly Q bot messages. Replies/s = answers / (the emulator's stamp of the
last successful send less the moment just before the first question was sent).

Two things are set so that what is measured is the replicas' work, not a limit of the bot's:
- the bot's own overall limiter allows max(30, SEND_BUDGET + 5) sends/s per process, Telegram's
  30/s at the default SEND_BUDGET; with it one replica answers at most 30/s and two at most 60/s
  (each paces itself alone), so the ratio would measure that cap. The bench raises SEND_BUDGET
  (only the digest sender reads it otherwise, and digests are off);
- the bot paces each private chat to about a message a second after a burst of two
  (bot.delivery.ratelimit), and a chat being answered holds one of the inbox's 32 slots of its
  replica meanwhile: with more than two questions per chat, that pacing bounds the round
  (printed), whatever the CPUs do. The default is two questions per chat for that reason.

CPU seconds of each party over the measured round are read from /proc: this process (the
emulator and the control client), the proxy, each replica (with its children) and every
postgres process (with the backends that ended meanwhile: the server waits for them, and their
time is found there), and what the rest of the machine did; printed as cores busy over the
round, with the machine's CPU count. Nothing here asserts a time.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

from bot.offline.runtime import demo_token
from db.engine import make_engine
from emulator import Emulator, EmulatorClient, EmulatorConfig
from tests.support.replicas import Replica, free_port, replicas, seed, start_all
from tests.support.waiting import wait_until

DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Price questions answered in one message each.
QUESTIONS = ("rice hyesan", "corn hyesan", "pork hyesan", "diesel", "sugar")
CHATS = 500
PER_CHAT = 2
LATENCY_MS = 50
TARGET = 1.6
# Sends through the control API in flight at once.
SEND_BATCH = 100
WARM_UP_CHATS = 100
FIRST_USER = 7_100_001
# SEND_BUDGET for the replicas: their overall limiter then allows 1,000 sends/s each.
SEND_BUDGET = 995.0
# The bot's pacing of one private chat (bot.delivery.ratelimit): a burst, then a message a second.
CHAT_BURST, CHAT_RATE = 2, 1.0
INBOX_SLOTS = 32
ROUND_TIMEOUT = 180.0
POLL_SECONDS = 0.05
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


@contextmanager
def schema(url: str) -> Iterator[str]:
    """A fresh schema in the database at `url`, dropped after; yields a URL that uses it."""
    name = f"jm_bench_hook_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        sep = "&" if "?" in url else "?"
        yield f"{url}{sep}options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


# The proxy, in a process of its own


def _serve_proxy(upstreams: list[str], port: int, pipe: Connection) -> None:
    """Child process: run the round-robin proxy until told to stop; send back its counters."""
    from tests.support.proxy import RoundRobinProxy

    async def serve() -> None:
        proxy = RoundRobinProxy(upstreams, timeout=60, port=port)
        pipe.send(await proxy.start())
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        counters = {
            "forwarded": dict(proxy.forwarded),
            "failed": dict(proxy.failed),
            "retries": proxy.retries,
            "unavailable": proxy.unavailable,
            "timeouts": proxy.timeouts,
        }
        await proxy.close()
        pipe.send(counters)

    asyncio.run(serve())


class ProxyProcess:
    """RoundRobinProxy over `upstreams` on 127.0.0.1:`port`, served by a child process."""

    def __init__(self, upstreams: list[str], port: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self.process = context.Process(
            target=_serve_proxy, args=(upstreams, port, child), name="bench-proxy", daemon=True
        )
        self.url = ""

    async def start(self) -> str:
        self.process.start()
        if not await asyncio.to_thread(self._pipe.poll, 60):
            raise RuntimeError("the proxy process did not start")
        self.url = str(self._pipe.recv())
        return self.url

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    async def stop(self) -> dict[str, Any]:
        """Stop the proxy; return its counters (empty if it did not answer)."""
        counters: dict[str, Any] = {}
        if self.process.pid is None:  # never started
            return counters
        if self.process.is_alive():
            try:
                self._pipe.send("stop")
                if await asyncio.to_thread(self._pipe.poll, 10):
                    counters = self._pipe.recv()
            except (OSError, EOFError):  # it died meanwhile
                pass
        await asyncio.to_thread(self.process.join, 10)
        if self.process.is_alive():
            self.process.kill()
            await asyncio.to_thread(self.process.join)
        return counters


# CPU time from /proc


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far, with those of its children that ended
    and were waited for (0 if it is gone).

    The children matter for PostgreSQL: its server waits for every backend and autovacuum
    worker that ends, so their time is found there once they are gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / CLOCK_TICK


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return out


def processes() -> dict[int, str]:
    """Every process on this machine: pid -> its name (comm)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                out[int(entry.name)] = (entry / "comm").read_text().strip()
            except OSError:
                continue
    return out


def machine_cpu() -> tuple[float, float, float, float]:
    """(busy, interrupts, stolen, total) CPU seconds of the whole machine so far, every core
    summed.

    Interrupts: the kernel's irq and softirq work (loopback traffic, mostly), part of busy and
    charged to no process. Stolen: time the hypervisor gave this machine's cores to others."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = values[:8]
    busy = user + nice + system + irq + softirq  # guest time is already counted in user
    total = busy + idle + iowait + steal
    return busy / CLOCK_TICK, (irq + softirq) / CLOCK_TICK, steal / CLOCK_TICK, total / CLOCK_TICK


def cpu_snapshot(parties: dict[str, list[int]]) -> dict[str, dict[int, float]]:
    """CPU seconds per process of each party, and of postgres and the machine."""
    snap = {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in parties.items()}
    names = processes()
    snap["postgres"] = {
        pid: cpu_seconds(pid) for pid, name in names.items() if name.startswith("postgres")
    }
    snap["machine"] = dict(enumerate(machine_cpu()))
    # The rest, to name what else kept the machine busy.
    counted = {pid for pids in snap.values() for pid in pids}
    snap["rest"] = {pid: cpu_seconds(pid) for pid in names if pid not in counted}
    _names.update(names)
    return snap


_names: dict[int, str] = {}


def cpu_used(
    before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
) -> dict[str, float]:
    """CPU seconds each party used between two snapshots (a new process counts from zero);
    `others`: the machine's busy seconds beyond the parties', `other_processes`: those of the
    processes outside them."""
    out = {
        name: sum(seconds - before.get(name, {}).get(pid, 0.0) for pid, seconds in pids.items())
        for name, pids in after.items()
        if name not in ("machine", "rest")
    }
    busy, interrupts, stolen, total = (after["machine"][i] - before["machine"][i] for i in range(4))
    # What the machine did beyond the parties: other processes, and kernel work charged to no
    # process (interrupts; also processes that ended in between).
    out["others"] = max(0.0, busy - sum(out.values()))
    rest_before = before.get("rest", {})
    out["other_processes"] = sum(
        max(0.0, seconds - rest_before.get(pid, 0.0)) for pid, seconds in after["rest"].items()
    )
    out["machine_busy"], out["machine_interrupts"] = busy, interrupts
    out["machine_stolen"], out["machine_total"] = stolen, total
    return out


def busiest_others(
    before: dict[str, dict[int, float]], after: dict[str, dict[int, float]], top: int = 3
) -> list[tuple[str, float]]:
    """The processes outside the parties that used the most CPU seconds between two snapshots,
    by name (summed over processes of one name)."""
    by_name: dict[str, float] = {}
    for pid, seconds in after.get("rest", {}).items():
        used = seconds - before.get("rest", {}).get(pid, 0.0)
        if used > 0:
            name = _names.get(pid, "?")
            by_name[name] = by_name.get(name, 0.0) + used
    return sorted(by_name.items(), key=lambda item: -item[1])[:top]


# One phase


async def _send_all(
    http: aiohttp.ClientSession, root: str, users: list[int], per_chat: int
) -> None:
    """Question 1 of every chat, then question 2, ...; SEND_BATCH sends in flight at once.

    Through the control API's POST /_emulator/message (what EmulatorClient.send_text calls),
    on an aiohttp session: httpx's pool costs milliseconds a request at this concurrency, which
    on two shared cores would make the sending, not the bot, the bound."""
    url = f"{root}/_emulator/message"

    async def one(user: int, question: str) -> None:
        async with http.post(url, json={"user_id": user, "text": question}) as answer:
            body = await answer.json()
        if answer.status != 200 or not body.get("ok"):
            raise RuntimeError(f"sending {question!r} as {user} failed: {answer.status} {body}")

    sends = [(u, QUESTIONS[k % len(QUESTIONS)]) for k in range(per_chat) for u in users]
    for start in range(0, len(sends), SEND_BATCH):
        batch = sends[start : start + SEND_BATCH]
        await asyncio.gather(*(one(user, question) for user, question in batch))


async def _round(
    chat: EmulatorClient,
    http: aiohttp.ClientSession,
    group: list[Replica],
    users: list[int],
    per_chat: int,
    parties: dict[str, list[int]] | None = None,
) -> dict[str, Any]:
    """Send the questions; wait until every one is answered; return the times and counts, and
    the CPU seconds of `parties` from the first send until the answers were counted."""
    await chat.reset_stats()
    expected = len(users) * per_chat
    before = cpu_snapshot(parties or {})
    started = time.time()
    await _send_all(http, chat.root_url, users, per_chat)
    sent = time.time()

    async def answered() -> dict[str, Any]:
        for replica in group:
            replica.alive()
        return await chat.stats()

    stats = await wait_until(
        answered,
        f"{expected} answers",
        until=lambda s: s["sends_ok"] >= expected,
        timeout=ROUND_TIMEOUT,
        interval=POLL_SECONDS,
    )
    seen = time.time()
    after = cpu_snapshot(parties or {})
    # Anything more than one message per question would come in while the last ones are sent.
    await asyncio.sleep(0.5)
    final = await chat.stats(by_chat=True)
    by_chat = final.pop("by_chat")
    wrong = [u for u in users if by_chat.get(str(u), 0) != per_chat]
    seconds = float(stats["last_ok_at"]) - started
    return {
        "answers": expected,
        "seconds": seconds,
        "replies_per_s": expected / seconds,
        "send_seconds": sent - started,
        "seen_after": seen - started,
        "sends_ok": final["sends_ok"],
        "sends_failed": final["sends_failed"] + final["sends_429"],
        "chats_wrong": len(wrong),
        "cpu": cpu_used(before, after),
        "busiest_others": busiest_others(before, after),
    }


async def phase(
    count: int,
    *,
    chats: int,
    per_chat: int,
    latency_ms: int,
    database_url: str,
    send_budget: float,
    logs: Path,
) -> dict[str, Any]:
    """One measured round with `count` replicas, everything started fresh."""
    with schema(database_url) as url:
        await asyncio.to_thread(seed, url)
        token = demo_token()
        config = EmulatorConfig(
            token=token,
            global_rate=None,
            chat_rate=None,
            group_rate_per_min=None,
            latency_ms=(latency_ms, latency_ms),
        )
        emulator = Emulator(config)
        root = await emulator.start()
        chat = EmulatorClient(root, timeout=60)
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=SEND_BATCH + 10))
        proxy_port = free_port()
        webhook_url = f"http://127.0.0.1:{proxy_port}/telegram"
        folder = logs / f"{count}-replicas"
        folder.mkdir(parents=True, exist_ok=True)
        group = replicas(
            count,
            root=root,
            token=token,
            database_url=url,
            webhook_url=webhook_url,
            logs=folder,
            LOG_LEVEL="WARNING",
            CHART_WORKERS="1",
            SEND_BUDGET=f"{send_budget:g}",
        )
        proxy = ProxyProcess([r.url for r in group], proxy_port)
        counters: dict[str, Any] = {}
        try:
            await proxy.start()
            warm = [FIRST_USER + i for i in range(min(WARM_UP_CHATS, chats))]
            users = [FIRST_USER + WARM_UP_CHATS + i for i in range(chats)]
            await chat.open_chats([*warm, *users])
            started = time.perf_counter()
            await start_all(group)
            await wait_until(
                chat.webhook_info,
                "the webhook set",
                until=lambda info: info.get("url") == webhook_url,
                timeout=60,
            )
            ready_seconds = time.perf_counter() - started
            warm_up = await _round(chat, http, group, warm, per_chat)
            if not await chat.wait_webhook_idle(timeout=30):
                raise RuntimeError("the webhook still had updates in flight after the warm-up")
            parties = {"bench": [os.getpid()], "proxy": [proxy.pid]}
            for replica in group:
                assert replica.process is not None
                parties[replica.name] = descendants(replica.process.pid)
            measured = await _round(chat, http, group, users, per_chat, parties)
        finally:
            for replica in group:
                replica.stop()
            counters = await proxy.stop()
            await http.close()
            await chat.aclose()
            await emulator.stop()
    return {
        **measured,
        "replicas": count,
        "ready_seconds": ready_seconds,
        "warm_up": warm_up,
        "proxy": counters,
        "logs": str(folder),
    }


def pacing_bound(chats: int, per_chat: int, count: int) -> float:
    """Fewest seconds the bot's per-chat pacing leaves a round, ignoring every other cost.

    A chat's answers past the burst go out a second apart, and the chat holds an inbox slot of
    its replica all the while; `count` replicas have INBOX_SLOTS slots each."""
    paced = max(0, per_chat - CHAT_BURST) / CHAT_RATE
    if not paced:
        return 0.0
    waves = -(-chats // (INBOX_SLOTS * count))
    return waves * paced


def run(
    *,
    chats: int = CHATS,
    per_chat: int = PER_CHAT,
    latency_ms: int = LATENCY_MS,
    database_url: str = DATABASE_URL,
    send_budget: float = SEND_BUDGET,
) -> dict[str, Any]:
    logs = Path(tempfile.mkdtemp(prefix="bench-webhook-"))

    async def both() -> dict[int, dict[str, Any]]:
        out = {}
        for count in (1, 2):
            out[count] = await phase(
                count,
                chats=chats,
                per_chat=per_chat,
                latency_ms=latency_ms,
                database_url=database_url,
                send_budget=send_budget,
                logs=logs,
            )
        return out

    phases = asyncio.run(both())
    one, two = phases[1], phases[2]
    ratio = two["replies_per_s"] / one["replies_per_s"]
    return {
        "phases": phases,
        "ratio": ratio,
        "met": ratio >= TARGET,
        "cpus": os.cpu_count() or 0,
        "logs": str(logs),
    }


def _cpu_line(p: dict[str, Any]) -> str:
    cpu, seconds = p["cpu"], p["seen_after"]
    names = ["bench", "proxy", *(f"r{i + 1}" for i in range(p["replicas"])), "postgres"]
    labels = {"bench": "emulator+client", "proxy": "proxy", "postgres": "postgres"}
    parts = [f"{labels.get(n, 'replica ' + n)} {cpu[n] / seconds:.2f}" for n in names]
    total = cpu["machine_total"] or 1.0
    named = ", ".join(f"{name} {used / seconds:.2f}" for name, used in p["busiest_others"])
    return (
        f"    cores busy: {', '.join(parts)}, the rest (other processes, the kernel) "
        f"{cpu['others'] / seconds:.2f} (busiest others: {named or 'none'}); the machine "
        f"{cpu['machine_busy'] / total:.0%} busy, {cpu['machine_stolen'] / total:.0%} stolen "
        "by the hypervisor"
    )


def main(
    chats: int = CHATS,
    per_chat: int = PER_CHAT,
    latency_ms: int = LATENCY_MS,
    database_url: str = DATABASE_URL,
) -> dict[str, Any]:
    cpus = os.cpu_count() or 0
    print(
        f"Replies/s, webhook replicas behind a round-robin proxy on PostgreSQL: {chats:,} chats "
        f"x {per_chat} questions, the emulator on loopback ({latency_ms} ms per Bot API call, "
        f"flood limits off), two replicas against one; {cpus} CPUs shared by the emulator, the "
        "proxy, PostgreSQL and the replicas:"
    )
    print(
        f"  each replica's overall send limiter raised to {SEND_BUDGET + 5:,.0f}/s (SEND_BUDGET="
        f"{SEND_BUDGET:g}; Telegram's 30/s by default, which would cap each replica at 30 "
        "replies/s)"
    )
    r = run(chats=chats, per_chat=per_chat, latency_ms=latency_ms, database_url=database_url)
    for count, p in r["phases"].items():
        warm = p["warm_up"]
        print(
            f"  {count} replica{'s' if count > 1 else ''}: {p['replies_per_s']:.1f} replies/s "
            f"({p['answers']:,} answers in {p['seconds']:.2f} s; questions sent in "
            f"{p['send_seconds']:.2f} s; ready after {p['ready_seconds']:.1f} s; warm-up "
            f"{warm['replies_per_s']:.1f}/s)"
        )
        print(_cpu_line(p))
        proxy = p["proxy"]
        forwarded = ", ".join(str(n) for n in proxy.get("forwarded", {}).values())
        print(
            f"    POSTs per replica {forwarded}; proxy retries {proxy.get('retries', '?')}; "
            f"failed sends {p['sends_failed']}; chats without exactly {per_chat} answers "
            f"{p['chats_wrong']}"
        )
        bound = pacing_bound(chats, per_chat, count)
        if bound:
            print(
                f"    the bot's per-chat pacing alone leaves at least {bound:.1f} s "
                f"(= {p['answers'] / bound:.0f} replies/s at most)"
            )
    busy_elsewhere = max(
        p["cpu"]["other_processes"] / p["seen_after"] for p in r["phases"].values()
    )
    if busy_elsewhere > 0.2:
        print(
            f"  NOTE: other processes kept up to {busy_elsewhere:.2f} cores busy during a "
            "measured round: the figures are not what a quiet machine gives"
        )
    met = "met" if r["met"] else "not met"
    print(f"  2 replicas / 1 = {r['ratio']:.2f}x (target >= {TARGET:g}x): {met}")
    print(f"  replica logs: {r['logs']}")
    return r

"""The Bot API emulator's own costs, each against a reference measured in the same run.

What the timing assertions once in tests/emulator checked, as figures rather than limits:
bulk open_chats against one-chat calls, concurrent sends against sequential ones, sends under
simulated latency against the latency drawn, bot_messages lookups in a large world against a
small one, and an empty long poll against the timeout it asked for. Everything runs on
127.0.0.1 in this process, with flood control off; nothing here asserts a time.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Iterable
from typing import Any

import aiohttp

from emulator import Emulator, EmulatorClient, EmulatorConfig

USERS = 10_000
ONE_CHAT_CALLS = 200
OPEN_ROUNDS = 3
SENDS = 200
SEND_ROUNDS = 3
LATENCY_MS = (100, 300)
LATENT_SENDS = 80
SMALL_WORLD, LARGE_WORLD = 1_000, 50_000
WORLD_CHATS = 10_000
LOOKUPS = 10
LOOKUP_REPEATS = 200
SCAN_REPEATS = 5
POLL_TIMEOUT = 1
POLLS = 3


def _config(**overrides: Any) -> EmulatorConfig:
    """Flood control off, so only the emulator's own cost (and any latency) is measured."""
    values: dict[str, Any] = {"global_rate": None, "chat_rate": None, "group_rate_per_min": None}
    values.update(overrides)
    return EmulatorConfig(**values)


class _Delays:
    """An emulator `sleep` that really sleeps and records each delay it was asked for."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(seconds)


async def _send(http: aiohttp.ClientSession, url: str, chat_id: int) -> None:
    data = {"chat_id": str(chat_id), "text": f"digest for {chat_id}"}
    async with http.post(url, data=data) as response:
        body = await response.json()
    if response.status != 200 or not body.get("ok"):
        raise RuntimeError(f"sendMessage to {chat_id} failed: {response.status} {body}")


async def _concurrent(http: aiohttp.ClientSession, url: str, chat_ids: Iterable[int]) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(_send(http, url, c) for c in chat_ids))
    return time.perf_counter() - started


async def _sequential(http: aiohttp.ClientSession, url: str, chat_ids: Iterable[int]) -> float:
    started = time.perf_counter()
    for chat_id in chat_ids:
        await _send(http, url, chat_id)
    return time.perf_counter() - started


def _session(emu: Emulator, connections: int) -> aiohttp.ClientSession:
    # aiohttp rather than httpx: httpcore's pool costs milliseconds per request at this
    # concurrency, which would swamp the emulator's own cost.
    connector = aiohttp.TCPConnector(limit=connections + 10)
    return aiohttp.ClientSession(emu.root_url, connector=connector)


async def _bulk_open(singles: list[float]) -> float:
    """Seconds for one open_chats call of USERS users on a fresh emulator.

    Appends ONE_CHAT_CALLS one-chat call timings to `singles` first, if it is empty.
    """
    async with Emulator(_config()) as emu, EmulatorClient(emu.root_url) as control:
        await control.open_chats([1])  # warm up the connection
        if not singles:
            for i in range(ONE_CHAT_CALLS):
                started = time.perf_counter()
                await control.open_chats([10 + i], language_code="ko")
                singles.append(time.perf_counter() - started)
        gc.collect()
        started = time.perf_counter()
        opened = await control.open_chats(range(100_001, 100_001 + USERS), language_code="ko")
        bulk = time.perf_counter() - started
    if opened != USERS:
        raise RuntimeError(f"open_chats opened {opened} of {USERS} chats")
    return bulk


def _in_process_open() -> float:
    """Seconds for the same State.open_private_chats in process on a fresh emulator, no HTTP."""
    state = Emulator(_config()).state
    gc.collect()
    started = time.perf_counter()
    state.open_private_chats(range(100_001, 100_001 + USERS), "ko")
    return time.perf_counter() - started


async def open_chats() -> dict[str, float]:
    """One open_chats call for USERS users against one-chat calls, and against no HTTP at all."""
    singles: list[float] = []
    bulks, in_process = [], []
    for _ in range(OPEN_ROUNDS):
        bulks.append(await _bulk_open(singles))
        in_process.append(_in_process_open())
    bulk, local, one = (statistics.median(x) for x in (bulks, in_process, singles))
    return {
        "seconds": bulk,
        "per_chat": bulk / USERS,
        "chats_per_s": USERS / bulk,
        "one_chat_call": one,
        "bulk/singles": bulk / (one * USERS),
        "in_process": local,
        "bulk/in_process": bulk / local,
    }


async def sends() -> dict[str, float]:
    """SENDS concurrent sendMessage calls against the same number one after another."""
    async with Emulator(_config()) as emu, EmulatorClient(emu.root_url) as control:
        await control.open_chats(range(1, SENDS + 1))
        url = f"/bot{emu.token}/sendMessage"
        chats = range(1, SENDS + 1)
        async with _session(emu, SENDS) as http:
            await _concurrent(http, url, chats)  # warm up: opens the pool's connections
            concurrent, sequential = [], []
            for _ in range(SEND_ROUNDS):
                sequential.append(await _sequential(http, url, chats))
                concurrent.append(await _concurrent(http, url, chats))
    c, s = statistics.median(concurrent), statistics.median(sequential)
    return {"concurrent": c, "sequential": s, "ratio": c / s}


async def latent_sends() -> dict[str, float]:
    """LATENT_SENDS concurrent sends at LATENCY_MS against the latencies the emulator drew."""
    delays = _Delays()
    async with (
        Emulator(_config(latency_ms=LATENCY_MS)) as emu,
        EmulatorClient(emu.root_url) as control,
    ):
        emu.clock.sleep = delays
        await control.open_chats(range(1, LATENT_SENDS + 1))
        url = f"/bot{emu.token}/sendMessage"
        chats = range(1, LATENT_SENDS + 1)
        async with _session(emu, LATENT_SENDS) as http:
            await _concurrent(http, url, chats)  # warm up: opens the pool's connections
            delays.delays.clear()
            elapsed = await _concurrent(http, url, chats)
    drawn = delays.delays
    if len(drawn) != LATENT_SENDS:
        raise RuntimeError(f"expected {LATENT_SENDS} latency sleeps, saw {len(drawn)}")
    mean, longest = statistics.mean(drawn), max(drawn)
    return {
        "elapsed": elapsed,
        "mean_latency": mean,
        "max_latency": longest,
        "elapsed/mean": elapsed / mean,
        "elapsed/max": elapsed / longest,
    }


def _world(messages: int) -> Any:
    """Return an emulator state (in process) holding `messages` bot messages over WORLD_CHATS."""
    state = Emulator(_config()).state
    state.open_private_chats(range(1, WORLD_CHATS + 1), None)
    for i in range(messages):
        state.add_message(state.chats[i % WORLD_CHATS + 1], state.bot.id, "text", text="old")
    return state


def _time_lookups(state: Any, repeats: int, lookup: Any) -> float:
    """Median seconds of LOOKUPS calls of lookup(state, after) for the latest 3 changes."""
    after = state.seq - 3
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(LOOKUPS):
            found = lookup(state, after)
        samples.append(time.perf_counter() - started)
        if len(found) != 3:
            raise RuntimeError(f"lookup found {len(found)} messages, not 3")
    return statistics.median(samples)


def _bot_messages(state: Any, after: int) -> list[Any]:
    return list(state.bot_messages(None, after))


def _full_scan(state: Any, after: int) -> list[Any]:
    """What a lookup that looked at every stored message would cost."""
    found = [
        m for chat in state.messages.values() for m in chat.values() if m.from_bot and m.seq > after
    ]
    return sorted(found, key=lambda m: m.seq)


def lookups() -> dict[str, float]:
    """LOOKUPS bot_messages(None, ...) calls in a LARGE_WORLD world against a SMALL_WORLD one."""
    small, large = _world(SMALL_WORLD), _world(LARGE_WORLD)
    small_s = _time_lookups(small, LOOKUP_REPEATS, _bot_messages)
    large_s = _time_lookups(large, LOOKUP_REPEATS, _bot_messages)
    scan_s = _time_lookups(large, SCAN_REPEATS, _full_scan)
    return {
        "small": small_s,
        "large": large_s,
        "ratio": large_s / small_s,
        "scan": scan_s,
        "large/scan": large_s / scan_s,
    }


async def long_poll() -> dict[str, Any]:
    """Empty getUpdates with timeout=POLL_TIMEOUT against the timeout asked for."""
    async with Emulator(_config()) as emu, _session(emu, 1) as http:
        url = f"/bot{emu.token}/getUpdates"
        async with http.get(url, params={"timeout": "0"}) as response:
            await response.json()  # warm up the connection
        polls = []
        for _ in range(POLLS):
            started = time.perf_counter()
            async with http.get(url, params={"timeout": str(POLL_TIMEOUT)}) as response:
                body = await response.json()
            polls.append(time.perf_counter() - started)
            if body != {"ok": True, "result": []}:
                raise RuntimeError(f"the empty poll answered {body}")
    median = statistics.median(polls)
    return {
        "median": median,
        "ratio": median / POLL_TIMEOUT,
        "ratios": [p / POLL_TIMEOUT for p in polls],
    }


def run() -> dict[str, Any]:
    """Return every figure; see the module docstring."""
    return {
        "open_chats": asyncio.run(open_chats()),
        "sends": asyncio.run(sends()),
        "latent": asyncio.run(latent_sends()),
        "lookups": lookups(),
        "long_poll": asyncio.run(long_poll()),
    }


def main() -> dict[str, Any]:
    """Run the benchmark and print its figures."""
    print("Bot API emulator on 127.0.0.1 (flood control off), figures against same-run references:")
    r = run()
    o = r["open_chats"]
    print(
        f"  open_chats for {USERS:,} users, median of {OPEN_ROUNDS}: {o['seconds']:.3f} s = {o['chats_per_s']:,.0f} chats/s "
        f"({o['per_chat'] * 1e6:.1f} us per chat)"
    )
    print(
        f"    / {USERS:,} one-chat open_chats calls (median {o['one_chat_call'] * 1e3:.2f} ms "
        f"each x {USERS:,}) = {o['bulk/singles']:.3f} (< 1: bulk beats one call per chat)"
    )
    print(
        f"    / the same State.open_private_chats in process, no HTTP ({o['in_process']:.3f} s) "
        f"= {o['bulk/in_process']:.2f} (what HTTP and JSON add)"
    )
    s = r["sends"]
    print(
        f"  {SENDS} sendMessage, no latency, median of {SEND_ROUNDS}: concurrent "
        f"{s['concurrent']:.3f} s, sequential {s['sequential']:.3f} s"
    )
    print(f"    concurrent / sequential = {s['ratio']:.2f} (< 1 shows concurrency)")
    lat = r["latent"]
    low, high = LATENCY_MS
    print(
        f"  {LATENT_SENDS} concurrent sendMessage at {low}-{high} ms latency: {lat['elapsed']:.3f} s; "
        f"latencies drawn: mean {lat['mean_latency'] * 1e3:.0f} ms, max {lat['max_latency'] * 1e3:.0f} ms"
    )
    print(
        f"    elapsed / mean latency = {lat['elapsed/mean']:.2f} (1-4: the sends overlap; "
        f"{LATENT_SENDS} would be serialised); elapsed / max latency = {lat['elapsed/max']:.2f}"
    )
    k = r["lookups"]
    print(
        f"  {LOOKUPS} bot_messages(None, seq - 3) lookups, median of {LOOKUP_REPEATS}: "
        f"{LARGE_WORLD:,} messages {k['large'] * 1e6:.1f} us, {SMALL_WORLD:,} messages "
        f"{k['small'] * 1e6:.1f} us"
    )
    print(
        f"    {LARGE_WORLD:,} / {SMALL_WORLD:,} = {k['ratio']:.2f} (~1: no scan of everything); "
        f"against a full scan of the {LARGE_WORLD:,} ({k['scan'] * 1e3:.1f} ms) = "
        f"{k['large/scan']:.5f}"
    )
    p = r["long_poll"]
    print(
        f"  empty getUpdates timeout={POLL_TIMEOUT}, median of {POLLS}: {p['median']:.3f} s; "
        f"elapsed / timeout = {p['ratio']:.3f} (~1.0: the server holds the poll; each "
        f"{', '.join(f'{x:.3f}' for x in p['ratios'])})"
    )
    return r

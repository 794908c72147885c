"""The webhook bench's own parts: the proxy process hands requests to its upstreams in turn and
reports its counters, CPU seconds are read from /proc and split by party, and the pacing bound
follows the bot's per-chat pacing. Nothing is timed here: `python -m bench webhook` prints the
figures (it needs PostgreSQL and two cores to mean anything)."""

from __future__ import annotations

import os
import sys

import httpx
import pytest
from aiohttp import web

from bench import webhook
from bench.__main__ import parser
from tests.support.replicas import free_port

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


async def test_the_proxy_process_forwards_in_turn_and_reports_its_counters() -> None:
    runners = []
    urls = []
    for name in ("a", "b"):

        async def answer(request: web.Request, name: str = name) -> web.Response:
            return web.Response(text=name)

        app = web.Application()
        app.router.add_post("/telegram", answer)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        urls.append(f"http://127.0.0.1:{port}")
    proxy = webhook.ProxyProcess(urls, free_port())
    try:
        url = await proxy.start()
        assert webhook.cpu_seconds(proxy.pid) >= 0
        async with httpx.AsyncClient() as client:
            seen = [(await client.post(f"{url}/telegram")).text for _ in range(4)]
        assert seen == ["a", "b", "a", "b"]
    finally:
        counters = await proxy.stop()
        for runner in runners:
            await runner.cleanup()
    assert counters["forwarded"] == {urls[0]: 2, urls[1]: 2}
    assert counters["retries"] == counters["unavailable"] == 0
    assert not proxy.process.is_alive()


def test_cpu_seconds_are_split_by_party() -> None:
    me = os.getpid()
    before = webhook.cpu_snapshot({"bench": [me]})
    sum(i * i for i in range(200_000))
    after = webhook.cpu_snapshot({"bench": [me]})
    used = webhook.cpu_used(before, after)
    assert set(used) >= {"bench", "postgres", "others", "machine_busy", "machine_total"}
    assert used["bench"] >= 0 and used["others"] >= 0
    assert used["machine_total"] + 1e-6 >= used["machine_busy"] >= 0
    assert webhook.descendants(me)[0] == me
    assert webhook.cpu_seconds(2**22 + 12345) == 0.0  # no such process


def test_the_pacing_bound_follows_the_bots_chat_pacing() -> None:
    assert webhook.pacing_bound(500, 2, 1) == 0.0  # within the burst: no bound
    # 3 answers past the burst of 2, a second apart; 200 chats in waves of 32 per replica.
    assert webhook.pacing_bound(200, 5, 1) == 7 * 3.0
    assert webhook.pacing_bound(200, 5, 2) == 4 * 3.0


def test_the_bench_is_registered_with_its_options() -> None:
    args = parser().parse_args(["webhook", "--chats", "20", "--questions", "1"])
    assert (args.benchmark, args.chats, args.questions, args.latency_ms) == ("webhook", 20, 1, 50)

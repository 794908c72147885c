"""Webhooks: setWebhook, delivery by POST with retries and per-chat order, and the test proxy."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import telegram
from aiohttp import web

from emulator import Emulator, EmulatorClient, SyncEmulatorClient
from tests.support.emulator import USER, unlimited, wait_for
from tests.support.proxy import RoundRobinProxy

RETRY = 0.02
SECRET = "s3cret_Token-1"
OTHER = 1002


def free_port() -> int:
    """Return a loopback port nothing listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Receiver:
    """A webhook endpoint: records every POST and answers it 200, unless `statuses` (by
    update_id, or under 0 for any update) lists other answers to give first; holds the requests
    of updates in `holds` (of all, with `hold_all`) until the event is set. The first `drops`
    requests get no answer: the connection is closed, as by a replica killed mid-request."""

    port: int = 0
    statuses: dict[int, list[int]] = field(default_factory=dict)
    holds: dict[int, asyncio.Event] = field(default_factory=dict)
    hold_all: asyncio.Event | None = None
    drops: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    # ("start" | "end", update_id) in the order they happened.
    events: list[tuple[str, int]] = field(default_factory=list)
    active: int = 0
    peak: int = 0
    runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def bodies(self) -> list[dict[str, Any]]:
        return [r["json"] for r in self.requests]

    def ids(self) -> list[int]:
        return [r["json"]["update_id"] for r in self.requests]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        update_id = body["update_id"]
        self.requests.append({"headers": request.headers.copy(), "json": body})
        self.events.append(("start", update_id))
        if self.drops > 0:
            self.drops -= 1
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            hold = self.holds.get(update_id) or self.hold_all
            if hold is not None:
                await hold.wait()
        finally:
            self.active -= 1
        planned = self.statuses.get(update_id) or self.statuses.get(0)
        status = planned.pop(0) if planned else 200
        self.events.append(("end", update_id))
        return web.Response(status=status, text="ok")

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        await site.start()
        if not self.port:
            self.port = self.runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self.hold_all is not None:
            self.hold_all.set()
        for hold in self.holds.values():
            hold.set()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """Serve an emulator that retries failed webhook deliveries quickly."""
    emu = Emulator(unlimited(webhook_retry_seconds=RETRY, webhook_timeout=5.0))
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = await Receiver().start()
    yield hook
    await hook.stop()


async def call(api: httpx.AsyncClient, method: str, **params: Any) -> httpx.Response:
    return await api.post(method, json=params)


async def set_webhook(api: httpx.AsyncClient, url: str, **params: Any) -> None:
    response = await call(api, "setWebhook", url=url, **params)
    assert response.json() == {"ok": True, "result": True}


async def webhook_info(api: httpx.AsyncClient) -> dict[str, Any]:
    result: dict[str, Any] = (await call(api, "getWebhookInfo")).json()["result"]
    return result


def attempts(deliveries: list[dict[str, Any]]) -> list[tuple[int, int | None, str | None]]:
    return [(d["attempt"], d["status"], d["error"]) for d in deliveries]


async def test_delivers_the_updates_get_updates_would_return(
    emulator: Emulator, api: httpx.AsyncClient, client: EmulatorClient, receiver: Receiver
) -> None:
    await client.send_text(USER, "one")
    await client.inline(USER, "query")
    polled = (await call(api, "getUpdates")).json()["result"]
    await set_webhook(api, receiver.url, secret_token=SECRET)
    assert await client.wait_webhook_idle(timeout=10)
    for request in receiver.requests:
        assert request["headers"]["X-Telegram-Bot-Api-Secret-Token"] == SECRET
        assert request["headers"]["Content-Type"] == "application/json"
    # The message and the inline query (no chat) went out together: in either order.
    assert sorted(receiver.bodies(), key=lambda u: u["update_id"]) == polled
    deliveries = sorted(await client.webhook_deliveries(), key=lambda d: d["update_id"])
    assert deliveries == [
        {"update_id": u["update_id"], "attempt": 1, "status": 200, "error": None} for u in polled
    ]
    assert await webhook_info(api) == {
        "url": receiver.url,
        "has_custom_certificate": False,
        "pending_update_count": 0,
        "max_connections": 40,
    }
    # Later updates go out as they come; a second setWebhook with the same URL (another
    # replica starting) only replaces the settings.
    await set_webhook(api, receiver.url, max_connections=5)
    sent = await client.send_text(USER, "two")
    assert await client.wait_webhook_idle(timeout=10)
    assert receiver.ids()[-1] == sent["update_id"]
    assert "X-Telegram-Bot-Api-Secret-Token" not in receiver.requests[-1]["headers"]
    info = await client.webhook_info()
    assert info["max_connections"] == 5 and info["secret_token"] is None
    assert info["in_flight"] == 0 and info["pending_update_count"] == 0
    assert emulator.core.spec.check_object("WebhookInfo", await webhook_info(api)) == []


async def test_error_answers_are_retried_until_2xx(
    emulator: Emulator, api: httpx.AsyncClient, client: EmulatorClient, receiver: Receiver
) -> None:
    receiver.statuses = {0: [500, 403]}
    sent = await client.send_text(USER, "hi")
    await set_webhook(api, receiver.url)
    assert await client.wait_webhook_idle(timeout=10)
    assert attempts(await client.webhook_deliveries(sent["update_id"])) == [
        (1, 500, "Wrong response from the webhook: 500 Internal Server Error"),
        (2, 403, "Wrong response from the webhook: 403 Forbidden"),
        (3, 200, None),
    ]
    assert receiver.ids() == [sent["update_id"]] * 3
    info = await webhook_info(api)
    assert info["last_error_message"] == "Wrong response from the webhook: 403 Forbidden"
    assert isinstance(info["last_error_date"], int) and info["pending_update_count"] == 0
    assert emulator.core.spec.check_object("WebhookInfo", info) == []


async def test_connection_refused_is_retried_until_the_receiver_listens(
    api: httpx.AsyncClient, client: EmulatorClient
) -> None:
    hook = Receiver(port=free_port())
    sent = await client.send_text(USER, "hi")
    await set_webhook(api, hook.url)

    async def refused_twice() -> bool:
        return len(await client.webhook_deliveries()) >= 2

    await wait_for(refused_twice, what="two refused deliveries")
    info = await webhook_info(api)
    assert info["last_error_message"] == "Connection refused"
    assert info["pending_update_count"] == 1
    await hook.start()
    try:
        assert await client.wait_webhook_idle(timeout=10)
    finally:
        await hook.stop()
    assert hook.ids() == [sent["update_id"]]
    *failed, delivered = await client.webhook_deliveries()
    assert {(d["status"], d["error"]) for d in failed} == {(None, "Connection refused")}
    assert delivered["status"] == 200 and delivered["attempt"] == len(failed) + 1


async def test_a_dropped_connection_is_retried(
    api: httpx.AsyncClient, client: EmulatorClient, receiver: Receiver
) -> None:
    receiver.drops = 1
    sent = await client.send_text(USER, "hi")
    await set_webhook(api, receiver.url)
    assert await client.wait_webhook_idle(timeout=10)
    assert attempts(await client.webhook_deliveries()) == [
        (1, None, "Connection reset by peer"),
        (2, 200, None),
    ]
    assert receiver.ids() == [sent["update_id"]] * 2


async def test_a_slow_answer_times_out_and_is_retried(
    api: httpx.AsyncClient, client: EmulatorClient, receiver: Receiver
) -> None:
    await client.configure(webhook_timeout=0.2)
    first = await client.send_text(USER, "slow")
    receiver.holds[first["update_id"]] = asyncio.Event()

    async def timed_out() -> bool:
        return bool(await client.webhook_deliveries())

    await set_webhook(api, receiver.url)
    await wait_for(timed_out, what="the first delivery to time out")
    receiver.holds[first["update_id"]].set()
    assert await client.wait_webhook_idle(timeout=10)
    [late, *_, delivered] = await client.webhook_deliveries()
    assert (late["status"], late["error"]) == (None, "Read timeout expired")
    assert (delivered["status"], delivered["error"]) == (200, None)


async def test_one_chat_at_a_time_in_order_other_chats_meanwhile(
    emulator: Emulator, api: httpx.AsyncClient, client: EmulatorClient, receiver: Receiver
) -> None:
    a1 = (await client.send_text(USER, "a1"))["update_id"]
    a2 = (await client.send_text(USER, "a2"))["update_id"]
    b1 = (await client.send_text(OTHER, "b1"))["update_id"]
    # Inline queries belong to no chat: the second goes out while the first is held.
    i1 = (await client.inline(USER, "i1"))["update_id"]
    i2 = (await client.inline(USER, "i2"))["update_id"]
    receiver.holds[a1] = asyncio.Event()
    receiver.holds[i1] = asyncio.Event()
    await set_webhook(api, receiver.url)
    await wait_for(lambda: {a1, b1, i1, i2} <= set(receiver.ids()), what="a1, b1, i1 and i2")
    await wait_for(lambda: emulator.core.webhook.in_flight == 2, what="b1 and i2 answered")
    assert a2 not in receiver.ids()
    assert receiver.active == 2
    receiver.holds[a1].set()
    receiver.holds[i1].set()
    assert await client.wait_webhook_idle(timeout=10)
    assert sorted(receiver.ids()) == [a1, a2, b1, i1, i2]
    assert receiver.events.index(("start", a2)) > receiver.events.index(("end", a1))


async def test_a_failing_update_holds_back_its_chat_only(
    api: httpx.AsyncClient, client: EmulatorClient, receiver: Receiver
) -> None:
    a1 = (await client.send_text(USER, "a1"))["update_id"]
    receiver.statuses = {a1: [503, 503]}
    a2 = (await client.send_text(USER, "a2"))["update_id"]
    b1 = (await client.send_text(OTHER, "b1"))["update_id"]
    await set_webhook(api, receiver.url)
    assert await client.wait_webhook_idle(timeout=10)
    # a1 got two 503s, and a2 waited for a1's 200; b1 did not wait for a1.
    ids = receiver.ids()
    assert ids.count(a1) == 3 and ids.count(a2) == 1 and ids.count(b1) == 1
    assert ids.index(a2) > max(i for i, uid in enumerate(ids) if uid == a1)
    assert ids.index(b1) < ids.index(a2)


async def test_max_connections_caps_requests_in_flight(
    api: httpx.AsyncClient, client: EmulatorClient, receiver: Receiver
) -> None:
    for user in range(2001, 2007):
        await client.send_text(user, "hi")
    receiver.hold_all = asyncio.Event()
    await set_webhook(api, receiver.url, max_connections=2)
    await wait_for(lambda: receiver.active == 2, what="two requests in flight")
    assert (await client.webhook_info())["in_flight"] == 2
    assert len(receiver.requests) == 2
    receiver.hold_all.set()
    assert await client.wait_webhook_idle(timeout=10)
    assert len(receiver.requests) == 6 and receiver.peak == 2


async def test_get_updates_conflicts_while_a_webhook_is_set(
    emulator: Emulator, api: httpx.AsyncClient, bot: telegram.Bot, receiver: Receiver
) -> None:
    poll = asyncio.create_task(call(api, "getUpdates", timeout=5))
    await wait_for(lambda: emulator.state.updates_changed.waiting, what="the long poll")
    assert await bot.set_webhook(receiver.url, secret_token=SECRET, max_connections=3)
    terminated = await asyncio.wait_for(poll, 5)
    assert terminated.status_code == 409
    assert terminated.json()["description"] == "Conflict: terminated by setWebhook request"
    with pytest.raises(telegram.error.Conflict, match="webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert (info.url, info.max_connections, info.pending_update_count) == (receiver.url, 3, 0)


async def test_allowed_updates_apply_to_the_webhook(
    bot: telegram.Bot, client: EmulatorClient, receiver: Receiver
) -> None:
    await client.inline(USER, "dropped")
    sent = await client.send_text(USER, "kept")
    assert await bot.set_webhook(receiver.url, allowed_updates=["message"])
    assert await client.wait_webhook_idle(timeout=10)
    assert receiver.ids() == [sent["update_id"]]
    assert (await bot.get_webhook_info()).allowed_updates == ("message",)


async def test_delete_webhook_stops_delivery(
    emulator: Emulator, api: httpx.AsyncClient, client: EmulatorClient, receiver: Receiver
) -> None:
    receiver.statuses = {0: [500] * 1000}
    sent = await client.send_text(USER, "hi")
    await set_webhook(api, receiver.url)
    await wait_for(lambda: len(receiver.requests) >= 2, what="two failed deliveries")
    assert (await call(api, "deleteWebhook")).json()["result"] is True
    await wait_for(lambda: not emulator.core.webhook.running, what="delivery to stop")
    tried = len(receiver.requests)
    assert len(await client.webhook_deliveries()) == tried
    assert await webhook_info(api) == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 1,
    }
    # The update waits for getUpdates now.
    polled = (await call(api, "getUpdates")).json()["result"]
    assert [u["update_id"] for u in polled] == [sent["update_id"]]
    assert len(receiver.requests) == tried
    # Set again and deleted with drop_pending_updates: nothing is left.
    await set_webhook(api, receiver.url)
    await call(api, "deleteWebhook", drop_pending_updates=True)
    assert (await webhook_info(api))["pending_update_count"] == 0
    # An empty url removes the webhook too.
    await set_webhook(api, receiver.url)
    await set_webhook(api, "")
    assert (await webhook_info(api))["url"] == ""


async def test_reset_abandons_delivery_cleanly(
    emulator: Emulator, api: httpx.AsyncClient, client: EmulatorClient, receiver: Receiver
) -> None:
    receiver.hold_all = asyncio.Event()
    await client.send_text(USER, "hi")
    await set_webhook(api, receiver.url)
    await wait_for(lambda: receiver.active == 1, what="a request in flight")
    await client.reset()
    assert not emulator.core.webhook.running and emulator.core.webhook.in_flight == 0
    assert await webhook_info(api) == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 0,
    }
    assert await client.webhook_deliveries() == []


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"secret_token": "no spaces"}, "secret token contains unallowed characters"),
        ({"secret_token": "é"}, "secret token contains unallowed characters"),
        ({"secret_token": "x" * 257}, "secret token is too long"),
        ({"max_connections": 0}, "max_connections must be between 1 and 100"),
        ({"max_connections": 101}, "max_connections must be between 1 and 100"),
        (
            {"url": "ftp://example.org/hook"},
            "bad webhook: An HTTPS URL must be provided for webhook",
        ),
        ({"url": "hook"}, "bad webhook: An HTTPS URL must be provided for webhook"),
        ({"url": "http://127.0.0.1:0/"}, "bad webhook: Wrong port number specified in the URL"),
    ],
)
async def test_set_webhook_rejections(
    api: httpx.AsyncClient, params: dict[str, Any], description: str
) -> None:
    response = await call(api, "setWebhook", **{"url": "http://127.0.0.1:9/hook", **params})
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": f"Bad Request: {description}",
    }
    assert (await webhook_info(api))["url"] == ""


async def test_sync_client_reads_the_webhook(emulator: Emulator) -> None:
    def read() -> tuple[dict[str, Any], list[dict[str, Any]], bool]:
        with SyncEmulatorClient(emulator.root_url) as control:
            return (
                control.webhook_info(),
                control.webhook_deliveries(),
                control.wait_webhook_idle(0),
            )

    info, deliveries, idle = await asyncio.to_thread(read)
    assert info["url"] == "" and info["in_flight"] == 0 and deliveries == [] and idle


# the round-robin proxy


async def test_proxy_round_robin_forwards_webhook_posts(
    api: httpx.AsyncClient, client: EmulatorClient
) -> None:
    first, second = await Receiver().start(), await Receiver().start()
    try:
        upstreams = [f"http://127.0.0.1:{first.port}", f"http://127.0.0.1:{second.port}"]
        async with RoundRobinProxy(upstreams) as proxy:
            ids = [(await client.send_text(user, "hi"))["update_id"] for user in range(2001, 2005)]
            # One request at a time, so they go out in update_id order, alternating upstreams.
            await set_webhook(api, f"{proxy.url}/hook", secret_token=SECRET, max_connections=1)
            assert await client.wait_webhook_idle(timeout=10)
            assert (first.ids(), second.ids()) == (ids[0::2], ids[1::2])
            for request in first.requests + second.requests:
                assert request["headers"]["X-Telegram-Bot-Api-Secret-Token"] == SECRET
            assert proxy.forwarded == dict.fromkeys(upstreams, 2) and proxy.retries == 0
            # The query string and the answer's status and headers pass through too.
            async with httpx.AsyncClient() as http:
                answer = await http.post(f"{proxy.url}/hook?x=1", json={"update_id": 7})
            assert answer.status_code == 200 and answer.text == "ok"
            assert answer.headers["content-type"].startswith("text/plain")
    finally:
        await first.stop()
        await second.stop()


async def test_proxy_fails_over_to_the_next_upstream() -> None:
    alive, dropping = await Receiver().start(), await Receiver(drops=1).start()
    dead = f"http://127.0.0.1:{free_port()}"
    up = f"http://127.0.0.1:{alive.port}"
    drops = f"http://127.0.0.1:{dropping.port}"
    try:
        async with RoundRobinProxy([dead, up], timeout=5) as proxy, httpx.AsyncClient() as http:
            for update_id in range(4):
                answer = await http.post(f"{proxy.url}/hook", json={"update_id": update_id})
                assert answer.status_code == 200
            # Every other request found the dead upstream first and went on to the live one.
            assert alive.ids() == [0, 1, 2, 3]
            assert proxy.forwarded == {dead: 0, up: 4}
            assert proxy.failed[dead] == 2 and proxy.retries == 2
            # An upstream that drops the connection unanswered is skipped the same way.
            proxy.set_upstreams([drops, up])
            answer = await http.post(f"{proxy.url}/hook", json={"update_id": 5})
            assert answer.status_code == 200 and alive.ids()[-1] == 5
            assert dropping.ids() == [5] and proxy.failed[drops] == 1 and proxy.retries == 3
            proxy.set_upstreams([dead])
            answer = await http.post(f"{proxy.url}/hook", json={"update_id": 9})
            assert answer.status_code == 502 and proxy.unavailable == 1
    finally:
        await alive.stop()
        await dropping.stop()

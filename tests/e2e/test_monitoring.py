"""Health, metrics and the log line of every update; the webhook of one process on SQLite.

Polling with METRICS_LISTEN: /healthz, /readyz and /metrics answer, and an answered question
moves the counters. Webhook mode in this process against the emulator: setWebhook carries the
secret, allowed_updates and max_connections; an update is stored before its 200, answered once,
and a redelivery is recognised; a body that is no update gets 400. SQLite refuses a second
serving process.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from sqlmodel import Session, select

from bot.app import ALLOWED_UPDATES, build_application
from bot.delivery.metrics import METRICS
from bot.entrypoints.serve import AlreadyServing, serve_webhook, sqlite_single_process
from db.models import UpdateInbox
from emulator import Emulator, EmulatorClient, EmulatorConfig
from tests.support.replicas import free_port
from tests.support.settings import make_settings
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
READER = 4343
SECRET = "monitoring-secret-42"


def sample(text: str, name: str, **labels: str) -> float:
    """A sample's value in a Prometheus text exposition (0 when absent)."""
    wanted = name + (
        "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else ""
    )
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    return 0.0


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, metrics_listen=f"127.0.0.1:{free_port()}")


async def test_polling_serves_health_and_metrics_and_logs_each_update(
    settings, chat, live_bot, caplog
):
    base = f"http://{settings.metrics_listen}"
    caplog.set_level(logging.INFO, logger="bot.updates")
    async with httpx.AsyncClient(timeout=10) as client:
        before = (await client.get(f"{base}/metrics")).text
        answer = await chat.reply_to(READER, "rice hyesan", timeout=20, quiet=0.3)
        assert "9,300 KPW/kg" in answer[0]["text"]
        # The update's line is written once its handler returned, after the answer went out.
        [line] = await wait_until(
            lambda: [r for r in caplog.records if getattr(r, "update", {}).get("chat") == READER],
            "the update's log line",
        )
        healthz = await client.get(f"{base}/healthz")
        readyz = await client.get(f"{base}/readyz")
        after = (await client.get(f"{base}/metrics")).text
    assert healthz.status_code == 200
    assert readyz.status_code == 200
    assert readyz.json() == {"database": "ok", "schema": "ok", "bot_api": "ok"}
    fields = line.update
    assert fields["kind"] == "message" and fields["outcome"] == "ok"
    assert fields["handler"] == "questions.price_text" and fields["via"] == "polling"
    assert fields["ms"] > 0
    name = "jangmadang_updates_total"
    assert sample(after, name, kind="message", outcome="ok") == (
        sample(before, name, kind="message", outcome="ok") + 1
    )
    sent = "jangmadang_messages_sent_total"
    assert sample(after, sent, status="ok") >= sample(before, sent, status="ok") + 1
    assert sample(after, "jangmadang_reply_seconds_count") >= 1
    assert "jangmadang_ledger_backlog 0.0" in after
    assert "jangmadang_chart_queue 0.0" in after
    assert "process_cpu_seconds_total" in after


async def test_readyz_says_what_is_wrong(settings, chat, live_bot):
    base = f"http://{settings.metrics_listen}"
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.get(f"{base}/readyz")).status_code == 200
        # The database is gone: not ready, and said so.
        engine = live_bot.application.bot_data["container"].engine
        original = engine.pool
        engine.pool = _BrokenPool(original)
        try:
            readyz = await client.get(f"{base}/readyz")
        finally:
            engine.pool = original
    assert readyz.status_code == 503
    assert readyz.json()["database"].startswith("unreachable")


class _BrokenPool:
    """A pool whose every connection attempt fails (the database server is down)."""

    def __init__(self, pool):
        self._pool = pool

    def connect(self):
        raise ConnectionRefusedError("database down")

    def __getattr__(self, name):
        return getattr(self._pool, name)


def test_sqlite_serves_one_process(tmp_path):
    settings = make_settings(tmp_path)
    refused = pytest.raises(AlreadyServing, match="serves this SQLite database")
    with sqlite_single_process(settings), refused, sqlite_single_process(settings):
        pass
    with sqlite_single_process(settings):  # released when the first one ended
        pass


async def test_a_webhook_on_sqlite_stores_answers_once_and_knows_redeliveries(tmp_path, e2e_engine):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    emulator = Emulator(EmulatorConfig())
    root = await emulator.start()
    chat = EmulatorClient(root)
    settings = make_settings(
        tmp_path,
        database_url=str(e2e_engine.url),
        webhook_url=url,
        webhook_listen=f"127.0.0.1:{port}",
        webhook_path="/hook",
        webhook_secret=SECRET,
        webhook_max_connections=7,
    )
    application = build_application(settings, engine=e2e_engine, token=emulator.token, api_url=root)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_webhook(application, settings, e2e_engine, stop=stop))
    try:
        await chat.open_chats([READER])
        info = await wait_until(
            chat.webhook_info, "the webhook set", until=lambda i: i.get("url") == url
        )
        assert info["max_connections"] == 7 and info["secret_token"] == SECRET
        assert set(info["allowed_updates"]) == set(ALLOWED_UPDATES)
        sent = await chat.send_text(READER, "corn hyesan")
        [answer] = await wait_until(
            lambda: chat.messages(READER, after=sent["seq"]), "the answer by webhook"
        )
        assert answer["text"].startswith("corn — Hyesan")
        assert await chat.wait_webhook_idle(timeout=20)
        deliveries = await chat.webhook_deliveries(sent["update_id"])
        assert [d["status"] for d in deliveries] == [200]
        with Session(e2e_engine) as session:
            row = session.get(UpdateInbox, sent["update_id"])
            assert row is not None and row.done_at is not None and row.kind == "message"
            payload = row.payload
        handled = METRICS.value("jangmadang_updates_total", {"kind": "message", "outcome": "ok"})
        redelivered = METRICS.value("jangmadang_updates_redelivered_total")
        async with httpx.AsyncClient(timeout=10) as client:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            again = await client.post(url, content=payload, headers=headers)
            junk = await client.post(url, content=b'{"no": "update"}', headers=headers)
            broken = await client.post(url, content=b"not json", headers=headers)
        assert again.status_code == 200
        assert (junk.status_code, broken.status_code) == (400, 400)
        assert METRICS.value("jangmadang_updates_redelivered_total") == redelivered + 1
        assert (
            METRICS.value("jangmadang_updates_total", {"kind": "message", "outcome": "ok"})
            == handled
        )
        assert len(await chat.messages(READER, after=sent["seq"])) == 1
        with Session(e2e_engine) as session:
            assert len(session.exec(select(UpdateInbox)).all()) == 1
    finally:
        stop.set()
        await asyncio.wait_for(serving, 30)
        await chat.aclose()
        await emulator.stop()
    # The webhook is left set: other replicas may still serve it.
    assert (await _webhook_url(emulator)) == url


async def _webhook_url(emulator: Emulator) -> str:
    return emulator.state.webhook_url

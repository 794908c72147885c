"""Charts off the answer path: drawn once by a worker process, sent again by file_id, kept as
PNG across restarts; a stuck, killed or overloaded worker gets the asker a reply, not silence."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

import pytest
from sqlalchemy import text

from tests.support.bot import running_bot
from tests.support.clock import NOW
from tests.support.factories import add_price
from tests.support.services import make_services
from tests.support.settings import make_settings
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
USERS = (6101, 6102, 6103, 6104)


@pytest.fixture
def settings(tmp_path):
    # One worker, one chart waiting at most, and a short limit for a stuck one.
    return make_settings(tmp_path, chart_workers=1, chart_queue=1, chart_timeout=3.0)


def photo_calls(calls):
    return [c for c in calls if c["method"] == "sendPhoto" and c["ok"]]


def uploads(calls):
    return [c for c in photo_calls(calls) if isinstance(c["params"]["photo"], dict)]


def by_file_id(calls):
    return [c for c in photo_calls(calls) if isinstance(c["params"]["photo"], str)]


async def chart_reply(chat, user, question):
    got = await chat.reply_to(user, question, timeout=20, quiet=0.3)
    photos = [m for m in got if m["kind"] == "photo"]
    assert photos, f"no chart for {question!r}: {[m.get('text') for m in got]}"
    return photos[0]


def pool_of(live_bot):
    return live_bot.application.bot_data["container"].chart_pool


async def a_worker(pool):
    # The bot in the tests starts its workers at the first chart; these tests need one now.
    await pool.start()
    (pid,) = pool.worker_pids()
    return pid


async def test_one_chart_asked_by_many_is_drawn_and_uploaded_once(chat, live_bot, e2e_engine):
    first = await chart_reply(chat, USERS[0], "/trend rice")
    # Four more askers at once: the first's file_id, no drawing, no upload.
    again = await asyncio.gather(*(chart_reply(chat, u, "/trend rice") for u in USERS))
    calls = await chat.calls()
    assert len(uploads(calls)) == 1
    assert {c["params"]["photo"] for c in by_file_id(calls)} == {first["file_id"]}
    assert len(by_file_id(calls)) == len(again) == 4
    assert pool_of(live_bot).stats.drawn == 1
    # The caption is the answer's, fresh every time.
    assert all("Sources:" in m["caption"] for m in again)

    # A new figure in that series is a new chart: drawn once more, then sent by its file_id.
    catalogue = live_bot.application.bot_data["container"].catalogue.current
    add_price(
        e2e_engine,
        catalogue,
        now=NOW,
        commodity="rice",
        market="hyesan",
        date="2026-11-20",
        price="9100",
    )
    newer = await chart_reply(chat, USERS[1], "/trend rice")
    assert newer["file_id"] != first["file_id"]
    await chart_reply(chat, USERS[2], "/trend rice")
    calls = await chat.calls()
    assert len(uploads(calls)) == 2 and pool_of(live_bot).stats.drawn == 2
    assert by_file_id(calls)[-1]["params"]["photo"] == newer["file_id"]

    # A file_id remembered in this process that the Bot API no longer takes: refused once,
    # then the kept one is used; nothing is drawn or uploaded.
    sender = live_bot.application.bot_data["chart_sender"]
    (key,) = [k for k, v in sender._sent.items() if v == newer["file_id"]]
    sender._sent[key] = "AgACAgIAAx0-gone"
    await chart_reply(chat, USERS[3], "/trend rice")
    calls = await chat.calls()
    refused = [c["params"]["photo"] for c in calls if c["method"] == "sendPhoto" and not c["ok"]]
    assert refused == ["AgACAgIAAx0-gone"]
    assert by_file_id(calls)[-1]["params"]["photo"] == newer["file_id"]
    assert len(uploads(calls)) == 2 and pool_of(live_bot).stats.drawn == 2


async def test_another_process_sends_the_kept_png_and_drops_a_file_id_it_cannot_use(
    chat, live_bot, settings, e2e_engine, emulator_config
):
    first = await chart_reply(chat, USERS[0], "/trend rice")
    # Another process on the same database (a restart, a second replica), here against another
    # Bot API server that never saw the file: the file_id is refused, the kept PNG uploaded.
    services = make_services(settings, e2e_engine)
    async with running_bot(settings, e2e_engine, services, emulator_config) as second:
        again = await chart_reply(second.client, USERS[1], "/trend rice")
        calls = await second.client.calls()
        refused = [c for c in calls if c["method"] == "sendPhoto" and not c["ok"]]
        assert [c["params"]["photo"] for c in refused] == [first["file_id"]]
        assert len(uploads(calls)) == 1 and uploads(calls)[0]["params"]["photo"]["upload"]
        assert services.chart_pool.stats.drawn == 0
        # The new file_id replaces the refused one: the next asker gets it, no upload.
        await chart_reply(second.client, USERS[2], "/trend rice")
        calls = await second.client.calls()
        assert [c["params"]["photo"] for c in by_file_id(calls)][-1] == again["file_id"]
        assert len(uploads(calls)) == 1
    with e2e_engine.connect() as conn:
        kept = conn.execute(text("SELECT file_id FROM chartimage")).scalars().all()
    assert kept == [again["file_id"]]


async def test_a_killed_worker_is_replaced_and_the_asker_told(chat, live_bot):
    pool = pool_of(live_bot)
    pid = await a_worker(pool)
    os.kill(pid, signal.SIGSTOP)
    try:
        asked = asyncio.ensure_future(chat.reply_to(USERS[0], "/trend rice", timeout=20, quiet=0.3))
        # While the chart is drawn the chat shows "sending a photo"; then the worker dies.
        await wait_until(
            lambda: chat.calls(method="sendChatAction"),
            "the upload_photo chat action",
            until=lambda calls: any(c["params"].get("action") == "upload_photo" for c in calls),
        )
        # Meanwhile another chat's plain question is answered: it never waits behind a chart.
        plain = await chat.reply_to(USERS[1], "rice hyesan", timeout=20, quiet=0.3)
        assert "Hyesan" in plain[0]["text"]
        os.kill(pid, signal.SIGKILL)
        got = await asked
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
    assert "could not be drawn" in got[0]["text"]
    # The next chart is drawn by the worker that replaced it.
    await chart_reply(chat, USERS[0], "/trend rice")
    assert pool.stats.replaced == 1 and pool.worker_pids() != [pid]


async def test_a_stuck_worker_times_out_and_a_full_queue_says_busy(chat, live_bot):
    pool = pool_of(live_bot)
    pid = await a_worker(pool)
    os.kill(pid, signal.SIGSTOP)
    try:
        stuck = asyncio.ensure_future(chat.reply_to(USERS[0], "/trend rice", timeout=20, quiet=0.3))
        await wait_until(lambda: pool.drawing, "a chart handed to the stopped worker")
        waiting = asyncio.ensure_future(
            chat.reply_to(USERS[1], "/trend corn", timeout=20, quiet=0.3)
        )
        await wait_until(lambda: pool.waiting, "a second chart waiting")
        # One being drawn, one waiting: a third is refused at once, politely.
        busy = await chat.reply_to(USERS[2], "/trend pork", timeout=20, quiet=0.3)
        assert "try again in a minute" in busy[0]["text"]
        # The stuck one ends after chart_timeout with an apology; the waiting one is drawn.
        assert "could not be drawn" in (await stuck)[0]["text"]
        assert [m["kind"] for m in await waiting] == ["photo"]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
    assert pool.stats.refused == 1 and pool.stats.failed == 1

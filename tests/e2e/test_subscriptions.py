"""Subscriptions and digests end to end: the real Application, its JobQueue tick and the sender,
against the strict emulator."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.delivery import sender as delivery
from config.settings import Settings
from db.models import DigestDelivery, Subscription
from tests.support.bot import buttons, count_ticks, failed_calls, press
from tests.support.clock import NOW, running_clock
from tests.support.factories import add_price
from tests.support.services import make_services
from tests.support.settings import make_settings
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
USER = 5151
OTHER = 5252


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Fast ticks and a short lease so a test sees a digest within a second or two."""
    return make_settings(
        tmp_path, digest_tick_seconds=0.3, sender_lease_seconds=3, send_timeout=1.0
    )


@pytest.fixture
async def bot_services(settings, e2e_engine):
    """A clock that starts at NOW and runs: retries are due a moment later."""
    return make_services(settings, e2e_engine, now=running_clock(NOW))


async def ask(chat, text, user=USER, **kw):
    replies = await chat.reply_to(user, text, timeout=15, quiet=1.2, **kw)
    assert replies, f"no reply to {text!r}"
    return replies


def text_of(replies) -> str:
    return "\n".join(m.get("text") or "" for m in replies)


def subscriptions(engine, chat_id=None) -> list[Subscription]:
    with Session(engine) as session:
        query = select(Subscription)
        if chat_id is not None:
            query = query.where(Subscription.chat_id == chat_id)
        return list(session.exec(query))


def deliveries(engine) -> list[DigestDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(DigestDelivery).order_by(DigestDelivery.id)))


def edited(message):
    """Wait-for condition on the messages a tap changed: `message` is among them."""
    return lambda changed: any(m["message_id"] == message["message_id"] for m in changed)


def make_due(engine, chat_id) -> None:
    with Session(engine) as session:
        for sub in session.exec(select(Subscription).where(Subscription.chat_id == chat_id)):
            sub.next_due_at = NOW - timedelta(minutes=5)
            session.add(sub)
        session.commit()


def digests(messages) -> list[dict]:
    return [m for m in messages if "jangmadang digest" in m["text"].lower()]


async def until(predicate, what: str):
    """Wait until `predicate()` (a database read) is truthy; return what it returned."""
    return await wait_until(predicate, what)


async def test_subscribe_list_preview_and_unsubscribe(chat, e2e_engine):
    reply = text_of(await ask(chat, "/subscribe rice hyesan"))
    assert "subscribed: rice · hyesan" in reply.lower() and "Mondays at 09:00 (Asia/Seoul)" in reply
    (sub,) = subscriptions(e2e_engine, USER)
    assert sub.active and sub.next_due_at > NOW
    assert "Already subscribed" in text_of(await ask(chat, "/subscribe 쌀 혜산"))
    listing = text_of(await ask(chat, "/subscriptions"))
    assert "rice · hyesan" in listing.lower() and "?start=sub_c" in listing
    preview = text_of(await ask(chat, "/digest"))
    assert "rice" in preview.lower() and "digest" in preview.lower()
    assert deliveries(e2e_engine) == []  # a preview records nothing
    assert "Stopped 1 subscription" in text_of(await ask(chat, "/unsubscribe"))
    assert not subscriptions(e2e_engine, USER)[0].active
    assert await failed_calls(chat) == []


async def test_unknown_names_change_nothing(chat, e2e_engine):
    reply = text_of(await ask(chat, "/subscribe rice xylophonia"))
    assert "xylophonia" in reply and "Nothing was changed" in reply
    assert subscriptions(e2e_engine) == []


async def test_a_deep_link_subscribes_in_one_tap(chat, e2e_engine, bot_services):
    rice = bot_services.catalogue.current.commodity_slugs["rice"]
    hyesan = bot_services.catalogue.current.market_slugs["hyesan"]
    reply = text_of(await ask(chat, f"/start sub_c{rice}_m{hyesan}"))
    assert "subscribed: rice · hyesan" in reply.lower()
    assert "not valid" in text_of(await ask(chat, "/start sub_zz"))
    assert len(subscriptions(e2e_engine)) == 1


async def test_only_group_admins_subscribe_a_group(chat, e2e_engine):
    group = -100777
    await chat.open_group(group, "Traders", admin_ids=[OTHER])
    refused = await ask(chat, "/subscribe corn", chat_id=group, chat_type="group")
    assert "Only an admin" in text_of(refused) and subscriptions(e2e_engine) == []
    ok = await ask(chat, "/subscribe corn", user=OTHER, chat_id=group, chat_type="group")
    assert "subscribed: corn" in text_of(ok).lower()
    (sub,) = subscriptions(e2e_engine)
    assert sub.chat_id == group and sub.chat_type == "group"


async def test_a_due_digest_is_delivered_once_and_recorded(chat, e2e_engine, live_bot):
    await ask(chat, "/subscribe")
    make_due(e2e_engine, USER)
    row = await until(
        lambda: [d for d in deliveries(e2e_engine) if d.status == "sent"], "a sent digest"
    )
    assert row[0].message_ids and row[0].sent_at is not None
    pushed = digests(await chat.sent(chat_id=USER))
    assert len(pushed) >= 1
    # Several more ticks of the job queue: none queues the digest again, nothing is sent twice.
    ticks = count_ticks(live_bot.sender)
    await wait_until(lambda: ticks.count, "three more digest ticks", until=lambda n: n >= 3)
    assert ticks.queued[:3] == [0, 0, 0]
    assert len(deliveries(e2e_engine)) == 1
    assert len(digests(await chat.sent(chat_id=USER))) == len(pushed)
    assert subscriptions(e2e_engine, USER)[0].last_digest_at is not None


async def test_a_blocked_chat_is_paused_and_start_restarts_it(chat, e2e_engine):
    await ask(chat, "/subscribe rice")
    await chat.block(USER)
    make_due(e2e_engine, USER)
    row = await until(
        lambda: [d for d in deliveries(e2e_engine) if d.status == "blocked"], "a blocked delivery"
    )
    assert "blocked" in row[0].error
    (sub,) = subscriptions(e2e_engine, USER)
    assert not sub.active and sub.deactivated_reason == "blocked"
    await chat.block(USER, blocked=False)
    await ask(chat, "/start")
    assert subscriptions(e2e_engine, USER)[0].active


async def test_a_migrated_group_gets_its_digest_at_the_new_id(chat, e2e_engine):
    group, supergroup = -100888, -1001000888
    await chat.open_group(group, "Border traders", admin_ids=[OTHER])
    await ask(chat, "/subscribe rice", user=OTHER, chat_id=group, chat_type="group")
    await chat.migrate(group, supergroup)
    make_due(e2e_engine, group)
    await until(
        lambda: [d for d in deliveries(e2e_engine) if d.status == "sent"],
        "the digest sent to the migrated group",
    )
    (sub,) = subscriptions(e2e_engine)
    assert sub.chat_id == supergroup and sub.chat_type == "supergroup"
    assert [m for m in await chat.sent(chat_id=supergroup) if "rice" in m["text"].lower()]


async def test_a_timed_out_send_is_retried(chat, e2e_engine, monkeypatch):
    monkeypatch.setattr(delivery, "BACKOFF", (0.2, 0.2, 0.2, 0.2))
    await ask(chat, "/subscribe rice")
    await chat.stall(1, 2.5)  # longer than the 1 s send timeout
    make_due(e2e_engine, USER)
    row = await until(
        lambda: [d for d in deliveries(e2e_engine) if d.status == "sent"], "the retried digest sent"
    )
    # The first attempt timed out (the emulator dropped it), the second went through.
    assert row[0].attempts == 2
    assert len(digests(await chat.sent(chat_id=USER))) == 1


async def test_schedule_buttons_change_the_day_and_hour(chat, e2e_engine):
    await ask(chat, "/subscribe rice")
    settings_message = (await ask(chat, "/settings"))[-1]
    assert "Digests: Weekly, Mondays at 09:00" in settings_message["text"]

    async def tap(message, label):
        """Press the one button whose label has `label`; return the message as the bot edited it."""
        (button,) = [b for b in buttons(message) if label in b["text"]]
        pressed = await press(chat, USER, message, button["text"], until=edited(message))
        return pressed.edited

    picker = await tap(settings_message, "Day")
    menu = await tap(picker, "Wed")
    assert "Wednesdays" in menu["text"]
    picker = await tap(menu, "Hour")
    menu = await tap(picker, "18")
    assert "Wednesdays at 18:00" in menu["text"]
    (sub,) = subscriptions(e2e_engine, USER)
    assert (sub.weekday, sub.hour) == (2, 18)
    local = sub.next_due_at.astimezone(ZoneInfo("Asia/Seoul"))
    assert (local.weekday(), local.hour) == (2, 18)
    reply = text_of(await ask(chat, "/timezone europe/berlin"))
    assert "Europe/Berlin" in reply
    assert "not a time zone" in text_of(await ask(chat, "/timezone Mars/Olympus"))
    assert subscriptions(e2e_engine, USER)[0].timezone == "Europe/Berlin"


async def test_a_severe_move_alerts_subscribers_with_alerts_on(chat, e2e_engine, bot_services):
    await ask(chat, "/subscribe rice hyesan")
    listing = (await ask(chat, "/subscriptions"))[-1]
    (alerts_on,) = [b for b in buttons(listing) if b["text"].startswith("🔔")]
    await press(chat, USER, listing, alerts_on["text"])
    await until(lambda: subscriptions(e2e_engine, USER)[0].alerts, "alerts switched on")
    catalogue = bot_services.catalogue.current
    add_price(e2e_engine, catalogue, now=NOW, date="2026-11-20", price="9000")
    jump = add_price(e2e_engine, catalogue, now=NOW, date="2026-11-27", price="15000")
    queued = await asyncio.to_thread(bot_services.alerts.prices_added, [jump.id])
    assert queued == 1
    row = await until(
        lambda: [d for d in deliveries(e2e_engine) if d.kind == "alert" and d.status == "sent"],
        "a sent price alert",
    )
    assert row
    alerts = [m for m in await chat.sent(chat_id=USER) if "Price alert" in m["text"]]
    assert len(alerts) == 1 and "15,000" in alerts[0]["text"]


async def test_stats_are_for_admins(chat, e2e_engine):
    await ask(chat, "/subscribe rice")
    assert "Only admins" in text_of(await ask(chat, "/stats"))
    stats = text_of(await ask(chat, "/stats", user=9001))
    assert "1 chats with 1 active subscriptions" in stats or "1 chat" in stats


async def test_a_channel_subscribes_by_posting_the_command(chat, e2e_engine):
    channel = -1002000555
    await chat.open_group(channel, "Market watch", type="channel", admin_ids=[OTHER])
    await chat.send_text(
        OTHER, "/subscribe@jangmadang_bot corn", chat_id=channel, chat_type="channel"
    )
    await until(lambda: subscriptions(e2e_engine, channel), "the channel's subscription")
    (sub,) = subscriptions(e2e_engine, channel)
    assert sub.chat_type == "channel" and sub.active
    make_due(e2e_engine, channel)
    await until(
        lambda: [d for d in deliveries(e2e_engine) if d.status == "sent"],
        "the digest sent to the channel",
    )
    assert digests(await chat.sent(chat_id=channel))


async def test_unsubscribe_by_number_and_all(chat, e2e_engine):
    await ask(chat, "/subscribe rice")
    await ask(chat, "/subscribe corn sinuiju")
    await ask(chat, "/subscribe lingzhi")
    which = text_of(await ask(chat, "/unsubscribe"))
    assert "Which one?" in which and len([s for s in subscriptions(e2e_engine) if s.active]) == 3
    assert "no subscription 7" in text_of(await ask(chat, "/unsubscribe 7"))
    assert "Stopped 1 subscription" in text_of(await ask(chat, "/unsubscribe 2"))
    active = [s for s in subscriptions(e2e_engine) if s.active]
    assert len(active) == 2 and all(s.filter_key != "" for s in active)
    assert "Stopped 2 subscriptions" in text_of(await ask(chat, "/unsubscribe all"))
    assert not [s for s in subscriptions(e2e_engine) if s.active]


async def test_telegram_reporting_a_block_pauses_and_an_unblock_restarts(chat, e2e_engine):
    await ask(chat, "/subscribe rice")
    await chat.block(USER, notify=True)
    await until(lambda: not subscriptions(e2e_engine, USER)[0].active, "the subscription paused")
    assert subscriptions(e2e_engine, USER)[0].deactivated_reason == "blocked"
    assert deliveries(e2e_engine) == []  # paused before any send was tried
    await chat.block(USER, blocked=False, notify=True)
    await until(lambda: subscriptions(e2e_engine, USER)[0].active, "the subscription restarted")

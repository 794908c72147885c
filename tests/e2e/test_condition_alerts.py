"""Condition alerts end to end: an editor's report from chat reaches, at once, the subscribers of
that place who switched condition alerts on, through the ledger and the sender, against the
strict emulator."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest
from sqlmodel import Session, select

from config.settings import Settings
from db.models import DigestDelivery, Subscription, TradeReport
from tests.support.bot import buttons, failed_calls, press
from tests.support.clock import NOW, running_clock
from tests.support.services import make_services
from tests.support.settings import ADMIN_ID, make_settings
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
OWNER = ADMIN_ID
USER = 6161
OTHER = 6262


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Fast ticks and a short lease so a test sees a delivery within a second or two."""
    return make_settings(
        tmp_path, digest_tick_seconds=0.3, sender_lease_seconds=3, send_timeout=1.0
    )


@pytest.fixture
async def bot_services(settings, e2e_engine):
    """A clock that starts at NOW and runs, so what is queued at once is due at once."""
    return make_services(settings, e2e_engine, now=running_clock(NOW))


async def ask(chat, text, user=USER, **kw):
    replies = await chat.reply_to(user, text, timeout=20, quiet=1.2, **kw)
    assert replies, f"no reply to {text!r}"
    return replies


def text_of(replies) -> str:
    return "\n".join(m.get("text") or "" for m in replies)


def subscriptions(engine, chat_id) -> list[Subscription]:
    with Session(engine) as session:
        return list(session.exec(select(Subscription).where(Subscription.chat_id == chat_id)))


def condition_deliveries(engine) -> list[DigestDelivery]:
    with Session(engine) as session:
        query = select(DigestDelivery).where(DigestDelivery.kind == "cond")
        return list(session.exec(query.order_by(DigestDelivery.id)))


async def alerts_sent(chat, chat_id) -> list[dict]:
    return [m for m in await chat.sent(chat_id=chat_id) if "Condition alert:" in (m["text"] or "")]


def add_report(engine, catalogue, *, place: str, border: str) -> int:
    row = TradeReport(
        market_id=catalogue.market_slugs[place],
        observed_on=date(2026, 11, 27),
        observed_precision="day",
        sort_on=date(2026, 11, 27),
        topics=["border"],
        border_status=border,
        summary=f"The crossing at {place} is {border}, traders say.",
        source_name="Daily NK",
        source_url="https://example.org/border",
        created_at=NOW,
        natural_key=uuid.uuid4().hex,
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


async def test_a_crackdown_entered_in_chat_alerts_only_who_opted_in(chat, e2e_engine):
    reply = text_of(await ask(chat, "/subscribe hyesan conditions"))
    assert "Condition alerts on" in reply
    await ask(chat, "/subscribe ryanggang", user=OTHER)  # the province, without condition alerts
    assert subscriptions(e2e_engine, USER)[0].condition_alerts
    assert not subscriptions(e2e_engine, OTHER)[0].condition_alerts

    async def say(text):
        return await chat.reply_to(OWNER, text, timeout=20, quiet=1.2)

    async def tap(message, label):
        return (await press(chat, OWNER, message, label)).messages

    await say("/addreport")
    await say("hyesan")
    [topics] = await say("2026-11")
    [topics] = await tap(topics, "enforcement")
    [step] = await tap(topics, "Done")
    for _ in range(4):  # direction, channel, border, market activity
        [step] = await tap(step, "Skip")
    await say("lingzhi")
    await say("Inspectors <searched> traders' phones & seized Chinese handsets.")
    [step] = await say("Daily NK")
    while "Check and confirm" not in step["text"]:
        [step] = await tap(step, "Skip")
    assert "Saved as" in text_of(await tap(step, "Confirm"))

    await wait_until(
        lambda: [d for d in condition_deliveries(e2e_engine) if d.status == "sent"],
        "the condition alert sent",
    )
    (alert,) = await alerts_sent(chat, USER)
    assert "Hyesan" in alert["text"] and "Nov 2026" in alert["text"]
    assert (
        "Inspectors <searched> traders' phones & seized" in alert["text"]
    )  # as the reader sees it
    assert await alerts_sent(chat, OTHER) == []
    assert len(condition_deliveries(e2e_engine)) == 1
    assert await failed_calls(chat) == []


async def test_conditions_off_stops_them(chat, e2e_engine, bot_services):
    await ask(chat, "/subscribe sinuiju conditions")
    reply = text_of(await ask(chat, "/subscribe sinuiju conditions off"))
    assert "Already subscribed" in reply and "Condition alerts off." in reply
    assert not subscriptions(e2e_engine, USER)[0].condition_alerts
    catalogue = bot_services.catalogue.current
    report = add_report(e2e_engine, catalogue, place="sinuiju", border="closed")
    assert await asyncio.to_thread(bot_services.condition_alerts.reports_added, [report]) == 0
    assert condition_deliveries(e2e_engine) == []


async def test_the_condition_button_switches_them_on_and_off(chat, e2e_engine, bot_services):
    subscribed = (await ask(chat, "/subscribe hyesan"))[-1]
    assert not subscriptions(e2e_engine, USER)[0].condition_alerts
    await press(chat, USER, subscribed, "🛂 Condition alerts on")
    await wait_until(
        lambda: subscriptions(e2e_engine, USER)[0].condition_alerts, "condition alerts on"
    )
    catalogue = bot_services.catalogue.current
    report = add_report(e2e_engine, catalogue, place="hyesan", border="closed")
    assert await asyncio.to_thread(bot_services.condition_alerts.reports_added, [report]) == 1
    await wait_until(
        lambda: [d for d in condition_deliveries(e2e_engine) if d.status == "sent"],
        "the condition alert sent",
    )
    (alert,) = await alerts_sent(chat, USER)
    assert "Hyesan" in alert["text"] and "→ closed" in alert["text"]
    listing = (await ask(chat, "/subscriptions"))[-1]
    assert "Condition alerts: on" in listing["text"]
    off = [b["text"] for b in buttons(listing) if b["text"].startswith("🛂")]
    assert off
    await press(chat, USER, listing, off[0])
    await wait_until(
        lambda: not subscriptions(e2e_engine, USER)[0].condition_alerts, "condition alerts off"
    )

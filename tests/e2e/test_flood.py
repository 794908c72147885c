"""Flood control: a 429 pauses sending for retry_after, and every digest still goes out once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import Session, select

from bot.offline.runtime import demo_token
from config.settings import Settings
from db.models import DigestDelivery, Subscription
from emulator import EmulatorConfig
from tests.conftest import NOW, make_settings
from tests.e2e.conftest import running_clock_services
from tests.support.factories import subscription_row

pytestmark = pytest.mark.e2e
SUBSCRIBERS = 40


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    # Telegram's overall limit, made small: a sender told to go faster must hit it.
    return EmulatorConfig(token=demo_token(), global_rate=8)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path, digest_tick_seconds=0.3, send_budget=40)


@pytest.fixture
async def bot_services(settings, e2e_engine):
    return running_clock_services(settings, e2e_engine)


async def test_429_pauses_then_every_digest_is_sent_once(chat, e2e_engine, bot_services):
    catalogue = bot_services.catalogue
    rice = catalogue.commodity_slugs["rice"]
    users = list(range(70_000, 70_000 + SUBSCRIBERS))
    await chat.open_chats(users)
    rows = [
        subscription_row(user, goods=(rice,), due=NOW - timedelta(minutes=1), now=NOW)
        for user in users
    ]
    with Session(e2e_engine) as session:
        session.connection().execute(insert(Subscription), rows)
        session.commit()

    def done() -> bool:
        with Session(e2e_engine) as session:
            ledger = session.exec(select(DigestDelivery)).all()
        return len(ledger) == SUBSCRIBERS and all(d.status == "sent" for d in ledger)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while not await asyncio.to_thread(done):
        assert loop.time() < deadline, "the broadcast did not finish"
        await asyncio.sleep(0.2)
    stats = await chat.stats()
    assert stats["sends_429"] > 0  # the limit was hit ...
    per_chat = Counter(m["chat_id"] for m in await chat.sent() if m["chat_id"] in set(users))
    assert set(per_chat) == set(users) and set(per_chat.values()) == {
        1
    }  # ... and nobody lost or doubled
    # After a 429 the sender waited: a sender that kept going at 40/s against a limit of 8/s
    # would collect several refusals per message sent.
    assert stats["sends_429"] < 2 * SUBSCRIBERS

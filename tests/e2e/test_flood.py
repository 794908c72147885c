"""Flood control: a 429 pauses sending for retry_after, and every digest still goes out once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import Session, select

from bot.offline.runtime import demo_token
from config.settings import Settings
from db.models import DigestDelivery, Subscription
from emulator import EmulatorConfig
from tests.support.clock import NOW, running_clock
from tests.support.factories import subscription_row
from tests.support.services import make_services
from tests.support.settings import make_settings
from tests.support.waiting import wait_until

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
    """A clock that starts at NOW and runs: the pauses after a 429 come due as in real life."""
    return make_services(settings, e2e_engine, now=running_clock(NOW))


async def test_429_pauses_then_every_digest_is_sent_once(chat, e2e_engine, bot_services):
    catalogue = bot_services.catalogue.current
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

    def ledger() -> dict[str, int]:
        with Session(e2e_engine) as session:
            return dict(Counter(d.status for d in session.exec(select(DigestDelivery))))

    await wait_until(
        ledger,
        f"the broadcast to finish: {SUBSCRIBERS} ledger rows, all sent",
        until=lambda statuses: statuses == {"sent": SUBSCRIBERS},
        timeout=90,
    )
    stats = await chat.stats()
    assert stats["sends_429"] > 0  # the limit was hit ...
    per_chat = Counter(m["chat_id"] for m in await chat.sent() if m["chat_id"] in set(users))
    assert set(per_chat) == set(users) and set(per_chat.values()) == {
        1
    }  # ... and nobody lost or doubled
    # After a 429 the sender waited: a sender that kept going at 40/s against a limit of 8/s
    # would collect several refusals per message sent.
    assert stats["sends_429"] < 2 * SUBSCRIBERS

"""End-to-end fixtures: the real Application polling the offline Bot API emulator over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.offline.runtime import demo_token
from emulator import EmulatorClient, EmulatorConfig
from tests.support.bot import RunningBot, running_bot, seeded_engine
from tests.support.services import make_services


@pytest.fixture
def e2e_engine(tmp_path):
    """A seeded SQLite database (the database matrix is covered by tests/integration)."""
    engine = seeded_engine(tmp_path / "e2e.sqlite3")
    yield engine
    engine.dispose()


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Emulator settings; tests override this fixture to change limits."""
    return EmulatorConfig(token=demo_token())


@pytest.fixture
async def bot_services(settings, e2e_engine):
    """The bot's services, at a clock that stays at NOW; tests override it to run the clock."""
    return make_services(settings, e2e_engine)


@pytest.fixture
async def live_bot(
    settings, e2e_engine, bot_services, emulator_config
) -> AsyncIterator[RunningBot]:
    """Start the emulator and the bot; yield both (the application and a control client)."""
    async with running_bot(settings, e2e_engine, bot_services, emulator_config) as running:
        yield running


@pytest.fixture
async def chat(live_bot) -> EmulatorClient:
    """A control client of the emulator the bot polls, to talk to it as any user."""
    return live_bot.client

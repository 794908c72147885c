"""End-to-end fixtures: the real Application polling the offline Bot API emulator over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import build_application
from bot.offline.runtime import demo_token, polling
from bot.services.catalogue import sync_catalogue
from bot.services.core import Services
from bot.services.seed import load_sample
from db.engine import make_engine, upgrade
from emulator import Emulator, EmulatorClient, EmulatorConfig
from tests.conftest import NOW


@pytest.fixture
def e2e_engine(tmp_path):
    """A seeded SQLite database (the database matrix is covered by tests/db)."""
    engine = make_engine(f"sqlite:///{tmp_path}/e2e.sqlite3")
    upgrade(engine)
    sync_catalogue(engine, now=NOW)
    load_sample(engine, now=NOW)
    yield engine
    engine.dispose()


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Emulator settings; tests override this fixture to change limits."""
    return EmulatorConfig(token=demo_token())


def running_clock_services(settings, engine) -> Services:
    """Services whose clock starts at NOW and runs: retries and pauses come due as in real life."""
    import time
    from datetime import timedelta

    start = time.monotonic()
    return Services(
        settings=settings,
        engine=engine,
        now=lambda: NOW + timedelta(seconds=time.monotonic() - start),
    )


@pytest.fixture
async def bot_services(settings, e2e_engine) -> Services:
    return Services(settings=settings, engine=e2e_engine, now=lambda: NOW)


@pytest.fixture
async def chat(
    settings, e2e_engine, bot_services, emulator_config
) -> AsyncIterator[EmulatorClient]:
    """Start the emulator and the bot; yield a control client to talk to it as any user."""
    emulator = Emulator(emulator_config)
    root = await emulator.start()
    client = EmulatorClient(root)
    application = build_application(
        settings,
        engine=e2e_engine,
        token=emulator_config.token,
        api_url=root,
        services=bot_services,
    )
    try:
        async with polling(application, poll_timeout=1):
            yield client
    finally:
        await client.aclose()
        await emulator.stop()


async def failed_calls(client: EmulatorClient) -> list[tuple[str, str | None]]:
    """Return the Bot API calls the emulator refused, except an editor's menu for a chat not yet open.

    Telegram answers "chat not found" when a menu is set for an editor who never opened the bot;
    the bot logs it and sets the menu again on the editor's /start.
    """
    out = []
    for call in await client.calls():
        if call["ok"]:
            continue
        scope = str(call["params"].get("scope", ""))
        if (
            call["method"] == "setMyCommands"
            and "chat" in scope
            and "chat not found" in str(call.get("description"))
        ):
            continue
        out.append((call["method"], call.get("description")))
    return out

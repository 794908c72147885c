"""Fixtures that serve a fresh Bot API emulator per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import telegram

from emulator import Emulator, EmulatorClient
from tests.support.emulator import USER, make_bot, unlimited


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """Serve an emulator with flood control off."""
    emu = Emulator(unlimited())
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[EmulatorClient]:
    """Return a control-API client for the emulator."""
    async with EmulatorClient(emulator.root_url) as control:
        yield control


@pytest.fixture
async def api(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    """Return a raw HTTP client rooted at the bot's Bot API URL."""
    base = f"{emulator.root_url}/bot{emulator.token}/"
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        yield http


@pytest.fixture
async def bot(emulator: Emulator) -> AsyncIterator[telegram.Bot]:
    """Return an initialised PTB bot talking to the emulator."""
    async with make_bot(emulator) as ptb:
        yield ptb


@pytest.fixture
async def user_chat(client: EmulatorClient) -> int:
    """Make USER write to the bot so their private chat exists; return its id."""
    await client.send_text(USER, "hello")
    return USER

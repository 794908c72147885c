"""Flood control: token buckets, per-chat and global limits, and 429 answers."""

from __future__ import annotations

import warnings
from datetime import timedelta

import httpx
import pytest
import telegram

from emulator import Emulator, EmulatorClient, EmulatorConfig
from emulator.limits import RateLimiter, RateSettings, is_sending_method
from tests.support.emulator import USER, make_bot


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_private_chat_burst_then_refill() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateSettings(global_rate=None, chat_rate=1.0, chat_burst=3), clock)
    assert [limiter.acquire(5) for _ in range(3)] == [None, None, None]
    assert limiter.acquire(5) == 1
    assert limiter.acquire(6) is None  # other chats have their own bucket
    clock.now = 1.0
    assert limiter.acquire(5) is None
    assert limiter.acquire(5) == 1


def test_group_limit_is_per_minute() -> None:
    clock = FakeClock()
    settings = RateSettings(global_rate=None, chat_rate=1.0, chat_burst=1, group_rate_per_min=20)
    limiter = RateLimiter(settings, clock)
    assert limiter.acquire(-100) is None
    assert limiter.acquire(-100) == 3  # 20/min refills one slot every 3 s


def test_global_limit_spans_chats_and_none_disables() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateSettings(global_rate=2, chat_rate=None), clock)
    assert limiter.acquire(1) is None
    assert limiter.acquire(2) is None
    assert limiter.acquire(3) == 1
    off = RateLimiter(RateSettings(global_rate=None, chat_rate=None, group_rate_per_min=None))
    assert all(off.acquire(-1) is None for _ in range(100))


def test_sending_methods() -> None:
    assert is_sending_method("sendMessage")
    assert is_sending_method("editMessageReplyMarkup")
    assert not is_sending_method("getUpdates")
    assert not is_sending_method("answerCallbackQuery")
    assert not is_sending_method("sendChatAction")


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def test_flood_answers_429_and_ptb_raises_retry_after() -> None:
    config = EmulatorConfig(global_rate=None, chat_rate=0.2, chat_burst=3)
    async with Emulator(config) as emu, EmulatorClient(emu.root_url) as control:
        await control.send_text(USER, "hi")
        url = f"{emu.root_url}/bot{emu.token}/sendMessage"
        async with httpx.AsyncClient() as http:
            for i in range(3):
                ok = await http.post(url, data={"chat_id": USER, "text": f"m{i}"})
                assert ok.status_code == 200
            flooded = await http.post(url, data={"chat_id": USER, "text": "one too many"})
            # Reads are never limited.
            assert (await http.get(f"{emu.root_url}/bot{emu.token}/getMe")).status_code == 200
        assert flooded.status_code == 429
        assert flooded.json() == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 5",
            "parameters": {"retry_after": 5},
        }
        async with make_bot(emu) as bot:
            with pytest.raises(telegram.error.RetryAfter) as caught:
                await bot.send_message(USER, "still too many")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert _seconds(caught.value.retry_after) == 5
        rejected = [c for c in await control.calls(method="sendMessage") if not c["ok"]]
        assert [c["error_code"] for c in rejected] == [429, 429]


async def test_limits_reconfigure_at_runtime() -> None:
    async with (
        Emulator(EmulatorConfig(global_rate=None)) as emu,
        EmulatorClient(emu.root_url) as control,
    ):
        await control.send_text(USER, "hi")
        config = await control.configure(chat_rate=None, global_rate=1)
        assert config["chat_rate"] is None and config["global_rate"] == 1
        async with make_bot(emu) as bot:
            await bot.send_message(USER, "first")
            with pytest.raises(telegram.error.RetryAfter):
                await bot.send_message(USER, "second")
            await control.configure(global_rate=None)
            for i in range(10):
                await bot.send_message(USER, f"free {i}")


async def test_group_limit_over_http() -> None:
    config = EmulatorConfig(global_rate=None, chat_burst=1, group_rate_per_min=2)
    async with Emulator(config) as emu, EmulatorClient(emu.root_url) as control:
        await control.send_text(USER, "hi", chat_id=-42, chat_type="group")
        await control.send_text(USER, "private hi")
        async with make_bot(emu) as bot:
            await bot.send_message(-42, "one")
            with pytest.raises(telegram.error.RetryAfter):
                await bot.send_message(-42, "two")
            await bot.send_message(USER, "private chats have their own bucket")
        [rejected] = [c for c in await control.calls() if not c["ok"]]
        assert rejected["description"] == "Too Many Requests: retry after 30"

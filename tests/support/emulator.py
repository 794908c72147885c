"""Helpers shared by the emulator tests."""

from __future__ import annotations

import asyncio
import inspect
import struct
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar, overload

import pytest
import telegram

from emulator import Emulator, EmulatorConfig

T = TypeVar("T")

POLL_INTERVAL = 0.02

USER = 1001


def png_bytes(width: int, height: int) -> bytes:
    """Return a valid RGB PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x7f" * (width * 3) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def unlimited(**overrides: Any) -> EmulatorConfig:
    """Return a config with flood control off, so only the tested limit applies."""
    values: dict[str, Any] = {"global_rate": None, "chat_rate": None, "group_rate_per_min": None}
    values.update(overrides)
    return EmulatorConfig(**values)


def make_bot(emu: Emulator) -> telegram.Bot:
    """Return a PTB bot pointed at the emulator."""
    return telegram.Bot(
        emu.token, base_url=f"{emu.root_url}/bot", base_file_url=f"{emu.root_url}/file/bot"
    )


@overload
async def wait_for(
    predicate: Callable[[], Awaitable[T]], timeout: float = ..., what: str | None = ...
) -> T: ...


@overload
async def wait_for(
    predicate: Callable[[], T], timeout: float = ..., what: str | None = ...
) -> T: ...


async def wait_for(
    predicate: Callable[[], Any], timeout: float = 10.0, what: str | None = None
) -> Any:
    """Poll `predicate` (sync or async) every 20 ms until it returns something truthy.

    Returns that value; fails the test if `timeout` seconds pass first.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() >= deadline:
            _give_up(predicate, timeout, what, value)
        await asyncio.sleep(POLL_INTERVAL)


def wait_for_sync(predicate: Callable[[], T], timeout: float = 10.0, what: str | None = None) -> T:
    """Blocking twin of wait_for, for tests that drive an emulator in another thread."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            _give_up(predicate, timeout, what, value)
        time.sleep(POLL_INTERVAL)


def _give_up(
    predicate: Callable[..., object], timeout: float, what: str | None, last: object
) -> NoReturn:
    described = what or getattr(predicate, "__qualname__", repr(predicate))
    pytest.fail(f"gave up after {timeout:g} s waiting for {described} (last value: {last!r})")


class FakeClock:
    """A clock that stands still until a test moves `now`."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class SleepLog:
    """An emulator `sleep` that really sleeps, recording each delay and how many overlap."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.active = 0
        self.peak = 0

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            await asyncio.sleep(seconds)
        finally:
            self.active -= 1

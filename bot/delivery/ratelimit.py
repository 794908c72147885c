"""Outgoing request pacing: Telegram's overall and group limits, about one message a second per
private chat, and a shared pause when Telegram answers 429."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.metrics import METRICS

logger = logging.getLogger(__name__)

# Telegram asks bots not to send more than about one message per second to one chat; short
# bursts pass, so a two-part answer goes out at once and a fast typist is paced. The burst is
# one below what a server allows (3): requests leave paced but may arrive closer together.
PRIVATE_CHAT_RATE = 1.0
PRIVATE_CHAT_BURST = 2
GROUP_PER_MINUTE = 20
# Passed as rate_limit_args by the digest sender: it paces chats itself and handles 429 itself,
# so its requests skip the per-chat limiters and are never retried here.
BROADCAST = -1
# Passed by the chart sender: a photo is paced like any answer (per chat and overall) but takes
# an overall slot only when no other answer is waiting for one, and photos together use at most
# BULKY_SHARE of the overall rate: a question, a tap or an inline answer never queues behind a
# crowd of charts, and finds a slot free when it comes.
BULKY = -2
BULKY_SHARE = 0.8


def retry_seconds(exc: RetryAfter) -> float:
    """Seconds Telegram asked to wait (PTB gives an int or a timedelta depending on its settings)."""
    value: Any = exc.retry_after
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)


class ChatPacedRateLimiter(BaseRateLimiter[int]):
    """Overall 30/s, 20/min per group, ~1/s per private chat; 429 pauses every request.

    A 429 (RetryAfter) holds all requests, answers and broadcasts alike, for retry_after
    seconds; ordinary requests are then retried (up to `max_retries`), broadcast requests are
    handed back to the sender, which requeues them.
    """

    def __init__(
        self,
        *,
        overall_max_rate: float = 30,
        private_rate: float = PRIVATE_CHAT_RATE,
        private_burst: int = PRIVATE_CHAT_BURST,
        group_per_minute: float = GROUP_PER_MINUTE,
        max_retries: int = 2,
    ) -> None:
        self._overall = AsyncLimiter(overall_max_rate, 1)
        self._bulky = AsyncLimiter(max(1.0, overall_max_rate * BULKY_SHARE), 1)
        self._rate = private_rate
        self._burst = private_burst
        self._group_rate = group_per_minute
        self._max_retries = max_retries
        self._private: dict[int, AsyncLimiter] = {}
        self._groups: dict[int, AsyncLimiter] = {}
        self._resume = asyncio.Event()
        self._resume.set()
        self._paused_until = 0.0
        # Ordinary requests waiting for an overall slot; bulky ones wait until there are none,
        # one at a time, so at most one of them is ever ahead of an ordinary request.
        self._ordinary_waiting = 0
        self._no_ordinary_waiting = asyncio.Event()
        self._no_ordinary_waiting.set()
        self._bulky_turn = asyncio.Lock()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def pause(self, seconds: float) -> None:
        """Hold every request for `seconds` (extending a pause already running)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        if until <= self._paused_until:
            return
        self._paused_until = until
        self._resume.clear()
        logger.warning("Flood control: all sending paused for %.0f s", seconds)

        def resume() -> None:
            if loop.time() >= self._paused_until - 0.01:
                self._resume.set()

        loop.call_later(seconds, resume)

    async def wait_resumed(self) -> None:
        await self._resume.wait()

    def _limiter(
        self, table: dict[int, AsyncLimiter], chat_id: int, size: float, period: float
    ) -> AsyncLimiter:
        if len(table) > 4096:
            # Drop idle limiters so memory follows active chats, not all chats ever seen.
            for key, limiter in list(table.items()):
                if limiter.has_capacity(size):
                    del table[key]
        if chat_id not in table:
            table[chat_id] = AsyncLimiter(size, period)
        return table[chat_id]

    def _chat_limiter(self, chat_id: int | None) -> Any:
        if chat_id is None:
            return contextlib.nullcontext()
        if chat_id > 0:
            return self._limiter(self._private, chat_id, self._burst, self._burst / self._rate)
        return self._limiter(self._groups, chat_id, self._group_rate, 60)

    async def _overall_slot(self, *, bulky: bool) -> None:
        """Take one overall slot; a bulky request lets every waiting ordinary one go first."""
        if bulky:
            await self._bulky.acquire()
            async with self._bulky_turn:
                while not self._no_ordinary_waiting.is_set():
                    await self._no_ordinary_waiting.wait()
                await self._overall.acquire()
            return
        self._ordinary_waiting += 1
        self._no_ordinary_waiting.clear()
        try:
            await self._overall.acquire()
        finally:
            self._ordinary_waiting -= 1
            if not self._ordinary_waiting:
                self._no_ordinary_waiting.set()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id: int | None = None
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(data.get("chat_id"))  # type: ignore[arg-type]
        broadcast = rate_limit_args == BROADCAST
        retries = 0 if broadcast else self._max_retries
        for attempt in range(retries + 1):
            await self._resume.wait()
            pace = contextlib.nullcontext() if broadcast else self._chat_limiter(chat_id)
            async with pace:
                await self._overall_slot(bulky=rate_limit_args == BULKY)
                try:
                    result = await callback(*args, **kwargs)
                except RetryAfter as exc:
                    METRICS.called(endpoint, exc)
                    self.pause(retry_seconds(exc))
                    if attempt == retries:
                        raise
                except Exception as exc:
                    METRICS.called(endpoint, exc)
                    raise
                else:
                    METRICS.called(endpoint, None)
                    return result
        raise AssertionError("unreachable")

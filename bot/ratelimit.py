"""Outgoing request pacing: Telegram's overall and group limits plus about one message a second per private chat."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter, BaseRateLimiter

# Telegram asks bots not to send more than about one message per second to one chat; short
# bursts pass, so a multi-part answer goes out at once and a fast typist is paced.
PRIVATE_CHAT_RATE = 1.0
PRIVATE_CHAT_BURST = 3


class ChatPacedRateLimiter(BaseRateLimiter[int]):
    """AIORateLimiter (overall 30/s, 20/min per group, RetryAfter retries) plus per-private-chat pacing."""

    def __init__(
        self,
        *,
        overall_max_rate: float = 30,
        private_rate: float = PRIVATE_CHAT_RATE,
        private_burst: int = PRIVATE_CHAT_BURST,
        max_retries: int = 2,
    ) -> None:
        self._inner = AIORateLimiter(overall_max_rate=overall_max_rate, max_retries=max_retries)
        self._rate = private_rate
        self._burst = private_burst
        self._private: dict[int, AsyncLimiter] = {}

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    def _limiter(self, chat_id: int) -> AsyncLimiter:
        if len(self._private) > 4096:
            # Drop idle limiters so memory follows active chats, not all chats ever seen.
            for key, limiter in list(self._private.items()):
                if limiter.has_capacity(self._burst):
                    del self._private[key]
        if chat_id not in self._private:
            self._private[chat_id] = AsyncLimiter(self._burst, self._burst / self._rate)
        return self._private[chat_id]

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
        pace = (
            self._limiter(chat_id)
            if chat_id is not None and chat_id > 0
            else contextlib.nullcontext()
        )
        async with pace:
            return await self._inner.process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )

"""How updates are processed: each in its own task, at most `max_concurrent_updates` at once,
one chat's updates in the order they arrived and one at a time.

An editor's guided form reads each answer against the step the previous one left; a price
question never waits for another chat's chart. Updates with no chat (inline queries, chosen
inline results) run without ordering: nothing of theirs depends on the one before.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.delivery.observe import observed

__all__ = ["ChatOrderedProcessor", "KeyedLocks", "chat_key"]

# Updates in flight at once; those of one chat wait for each other and hold no thread.
MAX_CONCURRENT_UPDATES = 256


def chat_key(update: object) -> int | None:
    """The chat whose order an update keeps (None: no order to keep)."""
    if not isinstance(update, Update):
        return None
    if update.inline_query is not None or update.chosen_inline_result is not None:
        return None
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    return user.id if user is not None else None


class KeyedLocks:
    """One asyncio lock per key while anyone holds or waits for it (then forgotten)."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._users: dict[Hashable, int] = {}

    def __len__(self) -> int:
        return len(self._locks)

    def __contains__(self, key: object) -> bool:
        return key in self._locks

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        """Hold the lock of `key` (waiting for whoever holds it)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in order within one."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        # One lock per chat with updates in flight.
        self._locks = KeyedLocks()

    @property
    def chats_in_flight(self) -> int:
        """Chats with an update being handled or waiting (for metrics and tests)."""
        return len(self._locks)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await observed(update, self._in_order(update, coroutine), via="polling")

    async def _in_order(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        async with self._locks.hold(key):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

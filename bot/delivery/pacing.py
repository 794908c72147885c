"""Send slots for the digest sender: a budget per second overall, an interval per chat, a pause
for everyone after a 429."""

from __future__ import annotations

import asyncio


class Pacer:
    """Hands out send slots: `budget` per second overall, one per `chat_interval` per chat,
    `group_per_minute` per group; a flood pause holds every slot."""

    def __init__(
        self, *, budget: float, chat_interval: float = 1.0, group_per_minute: float = 20.0
    ) -> None:
        self.budget = budget
        self.chat_interval = chat_interval
        self.group_interval = 60.0 / group_per_minute
        self._next = 0.0
        self._chat_next: dict[int, float] = {}
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self.paused_until = max(self.paused_until, loop.time() + seconds)

    async def slot(self, chat_id: int, chat_type: str) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if len(self._chat_next) > 50_000:
            self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
        interval = self.chat_interval if chat_type == "private" else self.group_interval
        chat_at = max(now, self._chat_next.get(chat_id, 0.0))
        self._chat_next[chat_id] = chat_at + interval
        if chat_at > now:
            await asyncio.sleep(chat_at - now)
        while True:
            now = loop.time()
            at = max(now, self._next, self.paused_until)
            self._next = at + 1.0 / self.budget
            if at > now:
                await asyncio.sleep(at - now)
            if loop.time() >= self.paused_until:
                return

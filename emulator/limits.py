"""Token-bucket flood control modelled on Telegram's documented sending limits."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

# Methods that post or change messages count against flood control; reads,
# polling and callback answers do not.
_EXTRA_SENDING = frozenset(
    {
        "copymessage",
        "copymessages",
        "forwardmessage",
        "forwardmessages",
        "stoppoll",
        "stopmessagelivelocation",
    }
)


def is_sending_method(method: str) -> bool:
    """Tell whether `method` is subject to the per-chat and global sending limits."""
    name = method.lower()
    if name == "sendchataction":
        return False
    return name.startswith(("send", "editmessage")) or name in _EXTRA_SENDING


class TokenBucket:
    """Allow `rate` events per second on average with bursts of up to `capacity`."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]):
        self.rate = rate
        self.capacity = max(capacity, 1.0)
        self.tokens = self.capacity
        self._clock = clock
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_time(self) -> float:
        """Return seconds until one token is available (0 when available now)."""
        self._refill()
        return 0.0 if self.tokens >= 1.0 else (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        """Consume one token; call only after wait_time() returned 0."""
        self.tokens -= 1.0


@dataclass(frozen=True)
class RateSettings:
    """Sending limits; None disables that limit."""

    global_rate: float | None = 30.0
    chat_rate: float | None = 1.0
    chat_burst: int = 3
    group_rate_per_min: float | None = 20.0


class RateLimiter:
    """Check a sending call against the global bucket and its chat's bucket."""

    def __init__(self, settings: RateSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self._clock = clock
        self._global: TokenBucket | None = None
        if settings.global_rate:
            self._global = TokenBucket(settings.global_rate, settings.global_rate, clock)
        self._chats: dict[int | str, TokenBucket] = {}

    def _chat_bucket(self, chat_id: int | str) -> TokenBucket | None:
        bucket = self._chats.get(chat_id)
        if bucket is not None:
            return bucket
        is_group = isinstance(chat_id, str) or chat_id < 0
        if is_group:
            per_min = self.settings.group_rate_per_min
            rate = per_min / 60.0 if per_min else None
        else:
            rate = self.settings.chat_rate
        if not rate:
            return None
        bucket = TokenBucket(rate, self.settings.chat_burst, self._clock)
        self._chats[chat_id] = bucket
        return bucket

    def acquire(self, chat_id: int | str | None) -> int | None:
        """Consume a slot and return None, or return whole seconds to wait (>= 1)."""
        buckets = [
            b
            for b in (self._global, None if chat_id is None else self._chat_bucket(chat_id))
            if b is not None
        ]
        wait = max((b.wait_time() for b in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take()
        return None

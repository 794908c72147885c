"""Where the emulator gets its time from, replaceable so tests can observe or steer it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass
class Clock:
    """The emulator's sources of time; the defaults are the real ones.

    `wall` stamps message dates and the call and sent logs (Unix seconds), `monotonic`
    drives the flood-control buckets, and `sleep` makes every artificial delay: the
    configured latency and stalled sends.
    """

    wall: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

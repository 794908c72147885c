"""Waiting for what a test expects, instead of sleeping and then reading.

`wait_until` polls a probe every few tens of milliseconds until what it returns is accepted, and
fails with what was awaited and what was last seen when a generous timeout runs out.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

TIMEOUT = 30.0  # seconds; generous: a shared machine can be slow, a passing test never waits it
INTERVAL = 0.03  # seconds between two looks


class WaitTimeout(AssertionError):
    """What a test waited for did not happen in time."""


def _shown(value: object, limit: int = 1500) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


async def wait_until(
    probe: Callable[[], Any],
    what: str,
    *,
    until: Callable[[Any], object] = bool,
    timeout: float = TIMEOUT,
    interval: float = INTERVAL,
) -> Any:
    """Call `probe` until `until(result)` is true (by default: until the result is truthy).

    Return the accepted result. `probe` may be a coroutine function; a plain function runs in a
    worker thread, so that a database read does not hold up the bot running in this event loop.
    An exception from `probe` ends the wait at once (a probe raises when waiting is pointless,
    e.g. the process it waits on has died). On timeout raise WaitTimeout naming `what` was
    awaited and the last result seen.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    looks = 0
    while True:
        if inspect.iscoroutinefunction(probe):
            seen = await probe()
        else:
            seen = await asyncio.to_thread(probe)
            if inspect.isawaitable(seen):
                seen = await seen
        looks += 1
        if until(seen):
            return seen
        if loop.time() >= deadline:
            raise WaitTimeout(
                f"timed out after {timeout:g} s ({looks} looks) waiting for {what}; "
                f"last seen: {_shown(seen)}"
            )
        await asyncio.sleep(interval)

"""Clocks for tests: the fixed instant every test runs at, and a clock that runs from it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

# The clock every test runs at unless it says otherwise.
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def fixed_clock(at: datetime = NOW) -> Callable[[], datetime]:
    """A clock that always reads `at`."""
    return lambda: at


def running_clock(start: datetime = NOW) -> Callable[[], datetime]:
    """A clock that reads `start` now and then runs at real speed.

    For a bot run end to end: its job queue, retries and pauses use real time, and the times it
    records must move on with them.
    """
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)

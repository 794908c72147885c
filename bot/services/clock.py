"""The clock services are given: a callable returning an aware UTC datetime."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the current time in UTC (the one place the real clock is read)."""
    return datetime.now(UTC)

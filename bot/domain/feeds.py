"""Source feeds: their kinds, how often they are checked, how long a failing one waits, and the
countries WFP files are about. Pure rules; fetching and storing live in bot.services.feeds."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.domain.errors import InvalidInput

__all__ = [
    "FEED_KINDS",
    "HAPI",
    "RSS",
    "WFP_HDX",
    "checked_ago",
    "parse_every",
    "retry_after",
    "show_every",
    "wfp_iso3",
]

WFP_HDX = "wfp-hdx"
HAPI = "hapi"
RSS = "rss"
# What each kind reads, as `feeds add --kind` lists them.
FEED_KINDS: dict[str, str] = {
    WFP_HDX: "WFP food prices of one country on HDX (the CSV, its dataset page or package_show)",
    HAPI: "HDX HAPI food prices of one location (the API's food-price endpoint)",
    RSS: "a news feed (RSS or Atom): new articles read into the editors' inbox",
}
# Checks at most this often, at least this rarely.
MIN_EVERY = timedelta(minutes=5)
MAX_EVERY = timedelta(days=90)
# A failing feed is retried after FIRST_RETRY, doubling each time, never later than its
# schedule: a feed that failed once is not left stale for a day.
FIRST_RETRY = timedelta(minutes=5)

_EVERY = re.compile(r"^\s*(\d{1,4})\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_every(text: str) -> timedelta:
    """Read a schedule like 30m, 6h, 1d or 2w."""
    found = _EVERY.match(text)
    if found is None:
        raise InvalidInput(
            "“{text}” is not a schedule: write a number and m, h, d or w (30m, 6h, 1d, 1w).",
            text=text.strip(),
        )
    every = timedelta(**{_UNITS[found.group(2).lower()]: int(found.group(1))})
    if not MIN_EVERY <= every <= MAX_EVERY:
        raise InvalidInput(
            "A feed is checked at most every 5 minutes and at least every 90 days, not every "
            "{text}.",
            text=text.strip(),
        )
    return every


def show_every(seconds: int) -> str:
    """Write a schedule back as the shortest of 30m, 6h, 1d, 2w."""
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3_600)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{max(seconds // 60, 1)}m"


def retry_after(failures: int, every: timedelta) -> timedelta:
    """How long a feed that failed `failures` times in a row waits before the next check."""
    if failures <= 0:
        return every
    wait = FIRST_RETRY * int(2 ** min(failures - 1, 20))
    return min(wait, every)


def checked_ago(checked: datetime, now: datetime) -> tuple[str, int]:
    """(unit, count) of how long ago a feed was checked: ("minutes", 5), ("hours", 3),
    ("days", 2); ("now", 0) within a minute."""
    seconds = max((now - checked).total_seconds(), 0)
    if seconds < 60:
        return "now", 0
    if seconds < 3_600:
        return "minutes", int(seconds // 60)
    if seconds < 86_400 * 2:
        hours = int(seconds // 3_600)
        return ("hours", hours) if hours < 24 else ("days", 1)
    return "days", int(seconds // 86_400)


_WFP_FILE = re.compile(r"wfp_food_prices_([a-z]{3})(?:[^a-z]|$)", re.IGNORECASE)


def wfp_iso3(text: str) -> str | None:
    """The ISO 3166 alpha-3 code in a WFP file name or link (wfp_food_prices_mmr.csv)."""
    found = _WFP_FILE.search(text)
    return found.group(1).upper() if found else None

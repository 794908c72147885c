"""Digest schedules: weekly or daily at a local hour, correct across daylight-saving changes.

A schedule names a local wall-clock hour in an IANA time zone. Every local date yields exactly one
instant: a wall time that does not exist (the spring-forward gap) is read with the offset in force
before the change, so it lands just after the gap (02:00 Europe/Berlin on the spring-forward Sunday
is 01:00 UTC = 03:00 CEST); a wall time that happens twice (fall back) is its first occurrence.
Due instants are returned in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.domain.i18n import N_, Translator

CADENCES = ("weekly", "daily")
COMMON_TIMEZONES: tuple[str, ...] = (
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)
WEEKDAY_NAMES: tuple[str, ...] = (
    N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"),
    N_("Friday"), N_("Saturday"), N_("Sunday"),
)  # fmt: skip
WEEKDAY_SHORT: tuple[str, ...] = (
    N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"),
)  # fmt: skip
# "every Monday", as in "Weekly, Mondays at 09:00".
WEEKDAY_PLURALS: tuple[str, ...] = (
    N_("Mondays"), N_("Tuesdays"), N_("Wednesdays"), N_("Thursdays"),
    N_("Fridays"), N_("Saturdays"), N_("Sundays"),
)  # fmt: skip

# Unambiguous abbreviations and city names people type; ambiguous ones (CST, IST, EST...) are not
# guessed. Keys are casefolded with single spaces.
_ALIASES = {
    "utc": "UTC",
    "gmt": "UTC",
    "kst": "Asia/Seoul",
    "seoul": "Asia/Seoul",
    "pyongyang": "Asia/Pyongyang",
    "jst": "Asia/Tokyo",
    "tokyo": "Asia/Tokyo",
    "beijing": "Asia/Shanghai",
    "shanghai": "Asia/Shanghai",
    "berlin": "Europe/Berlin",
    "london": "Europe/London",
    "new york": "America/New_York",
    "los angeles": "America/Los_Angeles",
}


@cache
def _zone_names() -> dict[str, str]:
    """Map casefolded IANA names (Region/City, plus UTC) to their spelling, read once."""
    names = {}
    for name in available_timezones():
        # Legacy names without a region ("EST", "Japan", "localtime") are left out: several of them
        # mean something other than what a reader typing them expects.
        if "/" in name and not name.startswith(("posix/", "right/")):
            names[name.casefold()] = name
    names["utc"] = "UTC"
    return names


def canonical_timezone(text: str) -> str | None:
    """Return the IANA name for a typed zone ("europe/berlin", "KST", "New York"), or None."""
    words = " ".join(text.replace("_", " ").split()).casefold()
    if not words:
        return None
    if words in _ALIASES:
        return _ALIASES[words]
    return _zone_names().get(words.replace(" ", "_"))


@dataclass(frozen=True)
class Schedule:
    """When a subscription's digest is due: weekly on a weekday, or daily, at a local hour."""

    cadence: str  # weekly | daily
    weekday: int  # 0 = Monday (ignored for daily)
    hour: int  # 0..23 local
    timezone: str  # IANA

    def __post_init__(self) -> None:
        if self.cadence not in CADENCES:
            raise ValueError(f"cadence must be one of {CADENCES}, not {self.cadence!r}")
        if not _is_int(self.weekday) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday!r}")
        if not _is_int(self.hour) or not 0 <= self.hour <= 23:
            raise ValueError(f"hour must be 0 to 23, not {self.hour!r}")
        known = isinstance(self.timezone, str) and (
            _zone_names().get(self.timezone.casefold()) == self.timezone
        )
        if not known:
            raise ValueError(f"unknown time zone {self.timezone!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require_aware(moment: datetime, name: str) -> None:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def period_length(cadence: str) -> timedelta:
    """Return the nominal length of one period: 7 days or 1 day (wall-clock, not exact)."""
    if cadence == "weekly":
        return timedelta(days=7)
    if cadence == "daily":
        return timedelta(days=1)
    raise ValueError(f"cadence must be one of {CADENCES}, not {cadence!r}")


def _instant(schedule: Schedule, day: date) -> datetime:
    # fold=0: the first of two occurrences, or the offset before the change inside a gap.
    local = datetime.combine(day, time(schedule.hour), tzinfo=schedule.zone)
    return local.astimezone(UTC)


def _on_schedule(schedule: Schedule, day: date) -> bool:
    return schedule.cadence == "daily" or day.weekday() == schedule.weekday


def next_due(schedule: Schedule, after: datetime) -> datetime:
    """Return the first due instant strictly after `after` (aware), as an aware UTC datetime."""
    _require_aware(after, "after")
    start = after.astimezone(schedule.zone).date() - timedelta(days=1)
    # Nine local dates cover a whole week plus the day either side of a shifted wall clock.
    for offset in range(10):
        day = start + timedelta(days=offset)
        if _on_schedule(schedule, day):
            due = _instant(schedule, day)
            if due > after:
                return due
    raise AssertionError("unreachable: every week has a due date")  # pragma: no cover


def _latest_due(schedule: Schedule, at: datetime) -> datetime:
    """Return the last due instant at or before `at`."""
    start = at.astimezone(schedule.zone).date() + timedelta(days=1)
    for offset in range(10):
        day = start - timedelta(days=offset)
        if _on_schedule(schedule, day):
            due = _instant(schedule, day)
            if due <= at:
                return due
    raise AssertionError("unreachable: every week has a due date")  # pragma: no cover


def catch_up(schedule: Schedule, due: datetime, now: datetime) -> tuple[datetime, datetime]:
    """Return (latest due <= now, first due > now) for a stored due time that has passed.

    After downtime one digest covers every missed period: it is sent for the latest occurrence and
    the schedule resumes at the next. The work does not depend on how long ago `due` was. When
    `due` is not itself on the schedule (the schedule was edited), the latest occurrence can be
    earlier than `due`.
    """
    _require_aware(due, "due")
    _require_aware(now, "now")
    if due > now:
        raise ValueError("due is in the future: there is nothing to catch up")
    return _latest_due(schedule, now), next_due(schedule, now)


def period_key(schedule: Schedule, due: datetime) -> str:
    """Name the period a due instant belongs to, in local time: "2026-W48" or "2026-11-28"."""
    _require_aware(due, "due")
    local = due.astimezone(schedule.zone).date()
    if schedule.cadence == "weekly":
        iso = local.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    return local.isoformat()


def describe(schedule: Schedule, t: Translator) -> str:
    """Return "Weekly, Mondays at 09:00 (Asia/Seoul)" or "Daily at 18:00 (Europe/Berlin)"."""
    _ = t.gettext
    clock = f"{schedule.hour:02d}:00"
    if schedule.cadence == "weekly":
        return _("Weekly, {weekday} at {time} ({timezone})").format(
            weekday=_(WEEKDAY_PLURALS[schedule.weekday]), time=clock, timezone=schedule.timezone
        )
    return _("Daily at {time} ({timezone})").format(time=clock, timezone=schedule.timezone)

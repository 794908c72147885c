"""Dates as reported: a day, a month, a year, or not stated at all."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import MAXYEAR, date

from bot.domain.errors import InvalidInput
from bot.domain.i18n import ENGLISH, N_, Translator

MONTHS = (
    N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"),
    N_("Jul"), N_("Aug"), N_("Sep"), N_("Oct"), N_("Nov"), N_("Dec"),
)  # fmt: skip
_DATE_RE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")
# The days anyone may name, in a question or a report: from FIRST_DATE to the end of the year
# YEARS_AHEAD after today's. Outside them a date is refused before any arithmetic is done on it.
FIRST_DATE = date(1900, 1, 1)
YEARS_AHEAD = 1


def last_date(today: date) -> date:
    """Return the last day that may be named: 31 December of next year."""
    return date(min(today.year + YEARS_AHEAD, MAXYEAR), 12, 31)


def in_bounds(year: int, today: date) -> bool:
    """Tell whether a year lies within the dates that may be named."""
    return FIRST_DATE.year <= year <= last_date(today).year


def out_of_bounds(text: str, today: date) -> str:
    """Say that a date lies outside the dates that may be named."""
    first, last = FIRST_DATE.year, last_date(today).year
    return f"Dates run from {first} to {last}: “{text}” is outside them."


@dataclass(frozen=True)
class PartialDate:
    """A date with its precision; `value` is the first day of the period it names."""

    value: date | None
    precision: str = "unknown"

    @classmethod
    def unknown(cls) -> PartialDate:
        return cls(None, "unknown")

    @classmethod
    def parse(cls, text: str | None, *, today: date | None = None) -> PartialDate:
        """Parse YYYY, YYYY-MM or YYYY-MM-DD; an empty text is an unknown date."""
        raw = (text or "").strip()
        if not raw:
            return cls.unknown()
        match = _DATE_RE.match(raw)
        if not match:
            raise InvalidInput(f"“{raw}” is not a date: use YYYY-MM-DD, YYYY-MM or YYYY.")
        year, month, day = (int(g) if g else None for g in match.groups())
        assert year is not None
        if year < FIRST_DATE.year:
            raise InvalidInput(f"“{raw}”: the year {year} is too early for a market report.")
        try:
            if day is not None and month is not None:
                result = cls(date(year, month, day), "day")
            elif month is not None:
                result = cls(date(year, month, 1), "month")
            else:
                result = cls(date(year, 1, 1), "year")
        except ValueError:
            raise InvalidInput(f"“{raw}” is not a real calendar date.") from None
        if today is not None and result.value is not None and result.value > today:
            raise InvalidInput(f"“{raw}” is in the future.")
        return result

    @property
    def end(self) -> date | None:
        """Return the last day of the period (the day itself for day precision)."""
        if self.value is None:
            return None
        if self.precision == "month":
            last = calendar.monthrange(self.value.year, self.value.month)[1]
            return self.value.replace(day=last)
        if self.precision == "year":
            return self.value.replace(month=12, day=31)
        return self.value

    def iso(self) -> str:
        """Return the date at its own precision: 2024-11-03, 2024-11, 2024 or empty."""
        if self.value is None:
            return ""
        if self.precision == "year":
            return f"{self.value.year:04d}"
        if self.precision == "month":
            return f"{self.value.year:04d}-{self.value.month:02d}"
        return self.value.isoformat()

    def label(self, t: Translator = ENGLISH) -> str:
        """Return a human label: 3 Nov 2024, Nov 2024, 2024 or "date not stated"."""
        _ = t.gettext
        if self.value is None:
            return _("date not stated")
        if self.precision == "year":
            return str(self.value.year)
        month = _(MONTHS[self.value.month - 1])
        if self.precision == "month":
            return _("{month} {year}").format(month=month, year=self.value.year)
        return _("{day} {month} {year}").format(
            day=self.value.day, month=month, year=self.value.year
        )

    def age_days(self, today: date) -> int | None:
        """Return days since the end of the period (0 while it is still running), None if unknown."""
        end = self.end
        if end is None:
            return None
        return max(0, (today - end).days)


def age_label(days: int | None, t: Translator = ENGLISH) -> str:
    """Describe an age in days the way a reader wants it: 5 days, 3 weeks, 4 months, 2 years old."""
    if days is None:
        return t.gettext("age unknown")
    if days == 0:
        return t.gettext("current period")
    if days < 14:
        return t.ngettext("{n} day old", "{n} days old", days).format(n=days)
    if days < 60:
        return t.ngettext("{n} week old", "{n} weeks old", days // 7).format(n=days // 7)
    if days < 730:
        return t.ngettext("{n} month old", "{n} months old", days // 30).format(n=days // 30)
    return t.ngettext("{n} year old", "{n} years old", days // 365).format(n=days // 365)

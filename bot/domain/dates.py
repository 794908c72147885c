"""Dates as reported: a day, a month, a year, or not stated at all."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from bot.domain.errors import InvalidInput

PRECISIONS = ("day", "month", "year", "unknown")
_DATE_RE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")


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
        if year < 1900:
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

    def label(self) -> str:
        """Return a human label: 3 Nov 2024, Nov 2024, 2024 or "date not stated"."""
        if self.value is None:
            return "date not stated"
        if self.precision == "year":
            return str(self.value.year)
        if self.precision == "month":
            return self.value.strftime("%b %Y")
        return f"{self.value.day} {self.value.strftime('%b %Y')}"

    def age_days(self, today: date) -> int | None:
        """Return days since the end of the period (0 while it is still running), None if unknown."""
        end = self.end
        if end is None:
            return None
        return max(0, (today - end).days)


def age_label(days: int | None) -> str:
    """Describe an age in days the way a reader wants it: today, 5 days, 3 weeks, 4 months, 2 years."""
    if days is None:
        return "age unknown"
    if days == 0:
        return "this period"
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''} old"
    if days < 60:
        return f"{days // 7} weeks old"
    if days < 730:
        return f"{days // 30} months old"
    return f"{days // 365} years old"

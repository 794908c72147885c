"""Price figures as shown to users: ranges, changes and their alert classes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.dates import PartialDate

STALE_AFTER_DAYS = 60
# WFP Market Monitor classes for a change between two observations of one series.
HIGH_CHANGE = 10.0
SEVERE_CHANGE = 25.0


@dataclass(frozen=True)
class Figure:
    """A price as reported: low-high (equal for a single figure), currency and unit."""

    low: float
    high: float
    currency: str
    unit: str

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2

    def amount(self) -> str:
        """Return 500 or 500-1,200 with thousands separators."""
        if self.low == self.high:
            return format_number(self.low)
        return f"{format_number(self.low)}-{format_number(self.high)}"

    def text(self) -> str:
        """Return the figure as read aloud: 500-1,200 CNY/kg, 8,130 KPW per USD."""
        unit = self.unit
        if unit == "unspecified":
            return f"{self.amount()} {self.currency} (unit not stated)"
        if unit == self.currency:
            return f"{self.amount()} {self.currency}"
        if unit.upper() in ("USD", "CNY", "KPW") or unit.split(" ")[-1].upper() in ("USD", "CNY"):
            return f"{self.amount()} {self.currency} per {unit}"
        separator = "/" if " " not in unit else " per "
        return f"{self.amount()} {self.currency}{separator}{unit}"


@dataclass(frozen=True)
class Change:
    """The move from one observation of a series to the next, compared on range midpoints."""

    percent: float

    @property
    def level(self) -> str:
        size = abs(self.percent)
        if size > SEVERE_CHANGE:
            return "severe"
        if size >= HIGH_CHANGE:
            return "high"
        return "normal"

    def text(self) -> str:
        arrow = "▲" if self.percent > 0 else ("▼" if self.percent < 0 else "=")
        sign = "+" if self.percent > 0 else ""
        return f"{arrow} {sign}{self.percent:.0f}%"


def change_between(previous: Figure, latest: Figure) -> Change | None:
    """Return the change between two figures of one series, or None when they can't be compared."""
    if previous.currency != latest.currency or previous.unit != latest.unit or previous.mid <= 0:
        return None
    if latest.unit == "unspecified":
        return None
    return Change(percent=(latest.mid - previous.mid) / previous.mid * 100.0)


def format_number(value: float) -> str:
    """Format a price: thousands separators, decimals only when the figure has them."""
    if value == int(value):
        return f"{int(value):,}"
    if value >= 100:
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    return f"{value:,.4g}"


@dataclass(frozen=True)
class Observation:
    """One stored figure with everything a reader needs to judge it."""

    id: int
    commodity: str
    market: str
    market_parent: str | None
    figure: Figure
    grade: str | None
    price_type: str
    observed: PartialDate
    reported_on: date | None
    source_name: str
    source_url: str | None
    reliability: str | None
    note: str | None

    def age_days(self, today: date) -> int | None:
        return self.observed.age_days(today)

    def is_stale(self, today: date) -> bool:
        """Tell whether the figure is older than the staleness limit (unknown dates are not fresh)."""
        age = self.age_days(today)
        return age is None or age > STALE_AFTER_DAYS


@dataclass(frozen=True)
class MarketPrice:
    """The latest observation in one market, the previous one of the same series, and the move."""

    latest: Observation
    previous: Observation | None
    is_record_high: bool = False

    @property
    def change(self) -> Change | None:
        if self.previous is None:
            return None
        return change_between(self.previous.figure, self.latest.figure)

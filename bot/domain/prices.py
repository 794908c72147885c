"""Price figures as shown to users: ranges, changes and their alert classes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise

from bot.domain.dates import PartialDate
from bot.domain.i18n import ENGLISH, Translator

STALE_AFTER_DAYS = 60
# Two sources' figures for one good, place and period are shown together when they are this
# close in date (or in the same month), and flagged when their midpoints differ by more than this.
SAME_PERIOD_DAYS = 14
SOURCES_DISAGREE = 10.0
# A cadence is told from at least this many dated figures of one series, when they come at
# least this often (a few figures years apart make no rhythm).
CADENCE_MIN_FIGURES = 4
CADENCE_MAX_DAYS = 183
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

    def text(self, t: Translator = ENGLISH) -> str:
        """Return the figure as read aloud: 500-1,200 CNY/kg, 8,130 KPW per USD."""
        _ = t.gettext
        unit, amount, currency = self.unit, self.amount(), self.currency
        if unit == "unspecified":
            return _("{amount} {currency} (unit not stated)").format(
                amount=amount, currency=currency
            )
        if unit == currency:
            return f"{amount} {currency}"
        if " " in unit or unit.upper() in ("USD", "CNY", "KPW"):
            return _("{amount} {currency} per {unit}").format(
                amount=amount, currency=currency, unit=unit
            )
        return f"{amount} {currency}/{unit}"


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
    # Where it was read when not at the publisher's (a reprint, a translation, an aggregator).
    via: str | None = None
    via_url: str | None = None
    date_inferred: bool = False  # the year (or more) worked out, not stated by the source
    report_order: int | None = None  # the order its report gives its undated figures
    # The publisher's own USD conversion (WFP's, at official or IMF rates), and when the feed
    # the figure came from was last checked.
    usd_price: float | None = None
    checked_at: datetime | None = None

    @property
    def report_link(self) -> str | None:
        """Return the link of the report the figure is in: the publisher's, else where it was read."""
        return self.source_url or self.via_url

    def age_days(self, today: date) -> int | None:
        return self.observed.age_days(today)

    def is_stale(self, today: date) -> bool:
        """Tell whether the figure is older than the staleness limit (unknown dates are not fresh)."""
        age = self.age_days(today)
        return age is None or age > STALE_AFTER_DAYS


@dataclass(frozen=True)
class Rate:
    """A market exchange rate: how many won one unit of `currency` fetched, where and when."""

    currency: str
    kpw_per_unit: float
    observed: PartialDate
    market: str
    source_url: str | None  # the link of the report it is in (publisher's, else where read)


@dataclass(frozen=True)
class Conversion:
    """A figure converted at market rates, with the rates used (never the official rate)."""

    figure: Figure
    rates: tuple[Rate, ...]
    # Converted at the latest rates rather than at rates of the figure's date (asked for a
    # currency when no rate near the figure's date exists).
    at_latest_rates: bool = False


# Rates further than this from the figure's date are not used: KPW moves too fast.
MAX_RATE_GAP_DAYS = 90


def usable_rate(observation: Observation, rate: Rate | None) -> bool:
    """Tell whether a rate may convert a figure: near in date, or from the same undated report."""
    if rate is None:
        return False
    if observation.observed.value is None or rate.observed.value is None:
        # An undated figure converts only with a rate from the same report (same table, same day).
        return (
            observation.observed.value is None
            and rate.observed.value is None
            and observation.report_link is not None
            and observation.report_link == rate.source_url
        )
    return abs((observation.observed.value - rate.observed.value).days) <= MAX_RATE_GAP_DAYS


def convert(
    observation: Observation, rates: dict[str, Rate], target: str, *, latest: bool = False
) -> Conversion | None:
    """Convert a figure into `target` through won at the same market's rates, or None.

    With `latest` the rates are the latest known whatever their date, and the result says so.
    """
    figure = observation.figure
    if figure.currency == target or figure.unit == "unspecified":
        return None
    used: list[Rate] = []
    factor = 1.0
    if figure.currency != "KPW":
        source = rates.get(figure.currency)
        if not (usable_rate(observation, source) or (latest and source is not None)):
            return None
        assert source is not None
        factor *= source.kpw_per_unit
        used.append(source)
    if target != "KPW":
        dest = rates.get(target)
        if not (usable_rate(observation, dest) or (latest and dest is not None)):
            return None
        assert dest is not None
        factor /= dest.kpw_per_unit
        used.append(dest)
    converted = Figure(
        _round3(figure.low * factor), _round3(figure.high * factor), target, figure.unit
    )
    return Conversion(converted, tuple(used), at_latest_rates=latest)


def _round3(value: float) -> float:
    # A converted value is an estimate: three significant digits, not false precision.
    return float(f"{value:.3g}")


def best_window(points: Sequence[tuple[date, int]], days: int) -> tuple[date, date] | None:
    """Return the `days`-long period holding figures from the most markets, the latest on ties."""
    ordered = sorted(points)
    counts: Counter[int] = Counter()
    best: tuple[int, date] | None = None
    left = 0
    for day, market in ordered:
        counts[market] += 1
        while ordered[left][0] < day - timedelta(days=days):
            gone = ordered[left][1]
            counts[gone] -= 1
            if counts[gone] == 0:
                del counts[gone]
            left += 1
        if best is None or len(counts) >= best[0]:
            best = (len(counts), day)
    if best is None:
        return None
    return best[1] - timedelta(days=days), best[1]


def conversion_target(currency: str) -> str | None:
    """Pick the currency a reader compares with: US dollars for won and yuan prices."""
    return "USD" if currency in ("KPW", "CNY") else None


@dataclass(frozen=True)
class MarketPrice:
    """The latest observation in one market, the previous one of the same series, and the move."""

    latest: Observation
    previous: Observation | None
    is_record_high: bool = False
    converted: Conversion | None = None
    # Other sources' figures for the same good, place and period (same_period), one per source.
    others: tuple[Observation, ...] = ()
    # The largest gap between those sources' midpoints per base unit, in percent (`spread`).
    spread_percent: float | None = None
    # How often this source reports this series, in days (`cadence_days`), when known.
    cadence_days: int | None = None

    @property
    def sources_disagree(self) -> bool:
        return self.spread_percent is not None and self.spread_percent > SOURCES_DISAGREE

    @property
    def change(self) -> Change | None:
        if self.previous is None:
            return None
        return change_between(self.previous.figure, self.latest.figure)


def same_period(a: PartialDate, b: PartialDate) -> bool:
    """Tell whether two dates name the same period: the same month, or within 14 days.

    A month-precise date matches any date of that month; a year-precise or unknown date matches
    nothing (a year is not a period figures can be set side by side in).
    """
    if a.value is None or b.value is None or "year" in (a.precision, b.precision):
        return False
    if a.precision == "unknown" or b.precision == "unknown":
        return False
    if "month" in (a.precision, b.precision):
        return (a.value.year, a.value.month) == (b.value.year, b.value.month)
    return abs((a.value - b.value).days) <= SAME_PERIOD_DAYS


def spread(midpoints: Sequence[float]) -> float | None:
    """Return how far apart figures are: (highest - lowest) / lowest in percent, None for one."""
    positive = [m for m in midpoints if m > 0]
    if len(positive) < 2:
        return None
    low, high = min(positive), max(positive)
    return (high - low) / low * 100.0


def cadence_days(dates: Sequence[date]) -> int | None:
    """Return the median gap between a series' distinct observation dates, None when too few."""
    distinct = sorted(set(dates))
    if len(distinct) < CADENCE_MIN_FIGURES:
        return None
    gaps = sorted((b - a).days for a, b in pairwise(distinct))
    middle = len(gaps) // 2
    median = gaps[middle] if len(gaps) % 2 else (gaps[middle - 1] + gaps[middle]) / 2
    if median > CADENCE_MAX_DAYS:
        return None
    return max(1, round(median))

"""Validated price and trade-condition records, built from loose text such as CSV cells."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from bot.domain import conditions
from bot.domain.conditions import (
    BORDER_STATUSES,
    CHANNELS,
    DIRECTIONS,
    MARKET_ACTIVITY,
    TOPICS,
)
from bot.domain.dates import PartialDate
from bot.domain.errors import InvalidInput
from bot.domain.units import CURRENCIES, ISO_CURRENCIES, UNSPECIFIED, Unit, valid_unit

PRICE_TYPES = (
    "retail",
    "wholesale",
    "state_purchase",
    "middleman",
    "export",
    "ration",
    "market",
    "official",
    # WFP's "Farm Gate": what producers are paid where the goods leave the farm.
    "farm_gate",
)
MAX_SUMMARY = 2000
MAX_GOODS = 30
MAX_GOOD_NAME = 80
DATE_PRECISIONS = ("day", "month", "year", "unknown")
# Anything above this, as written or per base unit, is a typo, not a price (KPW per kg of gold
# is ~1e8).
MAX_PRICE = 1e12
_RELIABILITY_RE = re.compile(r"^[A-F][1-6]$")
_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")
_RANGE_RE = re.compile(r"^\s*([\d.,]+)\s*(?:-|–|—|~|to)\s*([\d.,]+)\s*$")


@dataclass(frozen=True)
class PriceRecord:
    """One valid price figure, ready to be stored; names are still unresolved text."""

    commodity: str
    market: str
    observed: PartialDate
    reported_on: date | None
    low: float
    high: float
    grade: str | None
    price_type: str
    currency: str
    unit: Unit
    source_name: str
    source_url: str | None
    reliability: str | None
    note: str | None
    # Where it was read when not at the publisher's, and how its date is known (provenance.py).
    via: str | None = None
    via_url: str | None = None
    date_inferred: bool = False
    report_order: int | None = None

    def natural_key(self, commodity_slug: str, market_slug: str) -> str:
        """Return the hash that identifies this figure, so the same report is stored once.

        Its link is the publisher's; only without one does the place it was read at stand in
        (two reprints of unknown originals are two reports).
        """
        return price_natural_key(
            commodity_slug,
            market_slug,
            self.observed.iso(),
            self.price_type,
            self.currency,
            self.unit.text,
            self.grade,
            self.low,
            self.high,
            self.source_name,
            self.source_url or self.via_url,
            self.note,
        )


def price_natural_key(
    commodity_slug: str,
    market_slug: str,
    observed_iso: str,
    price_type: str,
    currency: str,
    unit_text: str,
    grade: str | None,
    low: float,
    high: float,
    source_name: str,
    source_url: str | None,
    note: str | None,
) -> str:
    """Return a figure's natural key from its stored values (migrations recompute it with this)."""
    parts = (
        commodity_slug,
        market_slug,
        observed_iso,
        price_type,
        currency,
        unit_text,
        grade or "",
        f"{low:g}",
        f"{high:g}",
        source_name.casefold(),
        source_url or "",
        note or "",
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def parse_number(text: str, *, what: str = "price") -> float:
    """Parse a positive number written with optional thousands separators."""
    raw = text.strip().replace(",", "").replace(" ", "")
    if not _NUMBER_RE.match(raw):
        raise InvalidInput(f"The {what} “{text.strip()}” is not a number.")
    value = float(raw)
    if value <= 0:
        raise InvalidInput(f"The {what} must be above zero (a missing price is not a price of 0).")
    if value > MAX_PRICE:
        raise InvalidInput(f"The {what} {text.strip()} is too large to be a real price.")
    return value


def parse_price_range(price: str, low: str = "", high: str = "") -> tuple[float, float]:
    """Return (low, high) from a price cell ("500", "500-1,200") or separate low/high cells."""
    price, low, high = (price or "").strip(), (low or "").strip(), (high or "").strip()
    if low or high:
        lo = parse_number(low or high, what="low price")
        hi = parse_number(high or low, what="high price")
    elif not price:
        raise InvalidInput("The price is missing.")
    elif match := _RANGE_RE.match(price):
        lo = parse_number(match.group(1))
        hi = parse_number(match.group(2))
    else:
        lo = hi = parse_number(price)
    if lo > hi:
        raise InvalidInput(
            f"The range {lo:g}-{hi:g} is written backwards: low must not exceed high."
        )
    return lo, hi


def check_per_base(high: float, unit: Unit, currency: str) -> None:
    """Refuse a figure whose price per base unit (per kg, per litre, per USD...) is implausible.

    A price within bounds for a tiny quantity ("516 CNY/0.001 g") can still be a price per kg
    no market has seen; comparisons and charts read the price per base unit.
    """
    if unit.base != UNSPECIFIED and unit.per_base(high) > MAX_PRICE:
        price = f"{high:,.0f}" if high.is_integer() else f"{high:,}"
        raise InvalidInput(
            f"{price} {currency} per {unit.text} is {unit.per_base(high):,.0f} {currency} per "
            f"{unit.base}: too large to be a real price. Check the price and the unit's quantity."
        )


def parse_reliability(text: str | None) -> str | None:
    """Validate an Admiralty grade such as B2 (source A-F, information 1-6)."""
    raw = (text or "").strip().upper()
    if not raw:
        return None
    if not _RELIABILITY_RE.match(raw):
        raise InvalidInput(
            f"“{text}” is not a reliability grade: use the Admiralty code, A-F then 1-6 (e.g. B2)."
        )
    return raw


def parse_url(text: str | None) -> str | None:
    """Accept an http(s) URL or nothing."""
    raw = (text or "").strip()
    if not raw:
        return None
    if not re.match(r"^https?://\S+$", raw) or len(raw) > 500:
        raise InvalidInput(f"“{raw[:80]}” is not a web address (http:// or https://).")
    return raw


def parse_currency(text: str) -> str:
    """Validate a currency code."""
    raw = (text or "").strip().upper()
    if raw not in ISO_CURRENCIES:
        raise InvalidInput(
            f"“{text}” is not a currency I know ({', '.join(CURRENCIES)} or another ISO 4217 code)."
        )
    return raw


def _choice(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    raw = (value or "").strip().lower().replace(" ", "_" if what == "price type" else "-")
    if not raw:
        return None
    if raw not in allowed:
        raise InvalidInput(f"“{value}” is not a {what}; use one of: {', '.join(allowed)}.")
    return raw


def _text(value: str | None, limit: int, what: str) -> str | None:
    raw = (value or "").strip()
    if len(raw) > limit:
        raise InvalidInput(f"The {what} is {len(raw):,} characters; the limit is {limit:,}.")
    return raw or None


def price_record_from_row(row: Mapping[str, str], *, today: date) -> PriceRecord:
    """Validate one price row (project or WFP/HDX columns) into a record, or raise InvalidInput."""
    commodity = (row.get("commodity") or "").strip()
    market = (row.get("market") or "").strip()
    if not commodity:
        raise InvalidInput("The commodity is missing.")
    if not market:
        raise InvalidInput("The market is missing.")
    low, high = parse_price_range(
        row.get("price", ""), row.get("price_low", ""), row.get("price_high", "")
    )
    source = _text(row.get("source"), 120, "source")
    if not source:
        raise InvalidInput("The source is missing: every figure needs one.")
    reported = PartialDate.parse(row.get("reported_date"), today=today)
    currency = parse_currency(row.get("currency", ""))
    unit = valid_unit(row.get("unit", ""))
    check_per_base(high, unit, currency)
    return PriceRecord(
        commodity=commodity,
        market=market,
        observed=PartialDate.parse(row.get("date"), today=today),
        reported_on=reported.value,
        low=low,
        high=high,
        grade=_text(row.get("grade"), 120, "grade"),
        price_type=_choice(row.get("pricetype"), PRICE_TYPES, "price type") or "retail",
        currency=currency,
        unit=unit,
        source_name=source,
        source_url=parse_url(row.get("source_url")),
        reliability=parse_reliability(row.get("reliability")),
        note=_text(row.get("note"), 2000, "note"),
        via=_text(row.get("via"), 120, "via"),
        via_url=parse_url(row.get("via_url")),
        date_inferred=parse_flag(row.get("date_inferred"), "date_inferred"),
        report_order=parse_report_order(row.get("report_order")),
    )


_YES = frozenset({"yes", "y", "true", "1", "x"})
_NO = frozenset({"", "no", "n", "false", "0"})
MAX_REPORT_ORDER = 99


def parse_flag(text: str | None, what: str) -> bool:
    """Read a yes/no cell (empty is no)."""
    value = (text or "").strip().casefold()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise InvalidInput(f"The {what} cell “{(text or '').strip()[:20]}” is not yes or no.")


def parse_report_order(text: str | None) -> int | None:
    """Read the order a report gives its undated figures: 1 (earliest) to 99, or empty."""
    value = (text or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_REPORT_ORDER:
        raise InvalidInput(
            "The report order “{value}” is not a whole number from 1 to {most} (1 for the "
            "report's earliest figure, 2 for the next).",
            value=value[:20],
            most=MAX_REPORT_ORDER,
        )
    return int(value)


@dataclass(frozen=True)
class TradeReportRecord:
    """One valid trade-condition report; place and goods are still unresolved text."""

    place: str
    observed: PartialDate
    topics: tuple[str, ...]
    direction: str | None
    channel: str | None
    border_status: str | None
    market_activity: str | None
    enforcement: str | None
    commodities: tuple[str, ...]
    summary: str
    source_name: str
    source_url: str | None
    reliability: str | None

    def natural_key(self, place_slug: str) -> str:
        """Return the hash that identifies this report."""
        parts = (place_slug, self.observed.iso(), self.summary, self.source_name.casefold())
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def trade_report_from_row(row: Mapping[str, str], *, today: date) -> TradeReportRecord:
    """Validate one trade-condition row into a record, or raise InvalidInput."""
    place = (row.get("place") or "").strip()
    if not place:
        raise InvalidInput("The place is missing.")
    summary = _text(row.get("summary"), MAX_SUMMARY, "summary")
    if not summary:
        raise InvalidInput("The summary is missing.")
    source = _text(row.get("source"), 120, "source")
    if not source:
        raise InvalidInput("The source is missing: every report needs one.")
    observed = PartialDate.parse(row.get("date"), today=today)
    _check_precision(row.get("date_precision"), observed)
    return TradeReportRecord(
        place=place,
        observed=observed,
        topics=parse_topics(row.get("topics") or ""),
        direction=_choice(row.get("direction"), DIRECTIONS, "direction"),
        channel=parse_channel(row.get("channel")),
        border_status=parse_border_status(row.get("border_status")),
        market_activity=_choice(row.get("market_activity"), MARKET_ACTIVITY, "market activity"),
        enforcement=_text(row.get("enforcement"), 500, "enforcement note"),
        commodities=parse_goods(row.get("commodities") or ""),
        summary=summary,
        source_name=source,
        source_url=parse_url(row.get("source_url")),
        reliability=parse_reliability(row.get("reliability")),
    )


def parse_topics(raw: str) -> tuple[str, ...]:
    """Read topics separated by ';' or ',' (older words such as "crackdown" included)."""
    found: list[str] = []
    for word in re.split(r"[;,]", raw):
        if not word.strip():
            continue
        topic = conditions.topic(word)
        if topic is None:
            raise InvalidInput(f"“{word.strip()}” is not a topic; use one of: {', '.join(TOPICS)}.")
        if topic not in found:
            found.append(topic)
    return tuple(found)


def parse_border_status(raw: str | None) -> str | None:
    """Read a border status (closed, restricted, partially-open, open), or None when empty."""
    if not (raw or "").strip():
        return None
    status = conditions.border_status(raw or "")
    if status is None:
        raise InvalidInput(
            f"“{(raw or '').strip()}” is not a border status; use one of: "
            f"{', '.join(BORDER_STATUSES)}."
        )
    return status


def parse_channel(raw: str | None) -> str | None:
    """Read a channel: a short label such as official-customs, rail or truck."""
    if not (raw or "").strip():
        return None
    label = conditions.channel(raw or "")
    if label is None:
        raise InvalidInput(
            f"“{(raw or '').strip()[:60]}” is not a channel: give a short label of letters, "
            f"digits and hyphens (at most {conditions.MAX_CHANNEL} characters), such as "
            f"{', '.join(CHANNELS[:5])}."
        )
    return label


def parse_goods(raw: str) -> tuple[str, ...]:
    """Read the goods a report names, separated by ';'; each is kept as written."""
    goods: list[str] = []
    for part in raw.split(";"):
        name = " ".join(part.split())
        if not name:
            continue
        if len(name) > MAX_GOOD_NAME:
            raise InvalidInput(
                f"The good “{name[:40]}…” is {len(name)} characters; the limit is {MAX_GOOD_NAME}."
            )
        if name.casefold() not in (g.casefold() for g in goods):
            goods.append(name)
    if len(goods) > MAX_GOODS:
        raise InvalidInput(f"The report names {len(goods)} goods; the limit is {MAX_GOODS}.")
    return tuple(goods)


def _check_precision(raw: str | None, observed: PartialDate) -> None:
    precision = (raw or "").strip().lower()
    if not precision:
        return
    if precision not in DATE_PRECISIONS:
        raise InvalidInput(
            f"“{raw}” is not a date precision; use one of: {', '.join(DATE_PRECISIONS)}."
        )
    if precision != observed.precision:
        raise InvalidInput(
            f"The date “{observed.iso() or 'empty'}” does not have the precision “{precision}”."
        )

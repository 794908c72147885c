"""The preview an editor confirms before a figure is stored."""

from __future__ import annotations

from bot.domain.dates import PartialDate
from bot.domain.prices import Figure
from bot.domain.records import PriceRecord
from bot.domain.text import shorten
from bot.domain.units import UNSPECIFIED
from bot.rendering.answers import PRICE_TYPE_LABELS
from bot.rendering.html import esc, link

_PRECISION = {"day": "exact day", "month": "month only", "year": "year only"}


def render_preview(record: PriceRecord, *, commodity: str, market: str) -> str:
    """Render every field of a record as it will be stored, for the admin to confirm."""
    unit, observed, url = record.unit, record.observed, record.source_url
    figure = Figure(record.low, record.high, record.currency, unit.text)
    canonical = unit.base if unit.quantity == 1 else f"{unit.quantity:g} {unit.base}"
    reported = PartialDate(record.reported_on, "day").label() if record.reported_on else None
    when = f"{observed.label()} ({_PRECISION[observed.precision]})" if observed.value else None
    as_base = canonical != unit.text and unit.base != UNSPECIFIED
    lines = (
        f"Commodity: <b>{esc(commodity)}</b>",
        f"Market: <b>{esc(market)}</b>",
        f"Price: <b>{esc(figure.text())}</b>"
        + (" (range as reported)" if record.low != record.high else ""),
        *([f"Unit: {esc(unit.text)} = {esc(canonical)}"] if as_base else []),
        f"Date: {esc(when or 'not stated')}",
        f"Reported: {esc(reported or 'not stated')}",
        f"Price type: {esc(PRICE_TYPE_LABELS.get(record.price_type, record.price_type))}",
        f"Grade: {esc(record.grade or 'not stated')}",
        f"Source: {link(record.source_name, url)}",
        # The link hides its address; the admin must see which page is cited.
        *([f"Address: {esc(shorten(url, 200))}"] if url else []),
        f"Reliability: {esc(record.reliability or 'not graded')}",
        f"Note: {esc(record.note or 'none')}",
    )
    return "\n".join(lines)

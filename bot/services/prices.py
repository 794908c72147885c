"""Answering "what does X cost (in Y)" from the database."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import render
from bot.domain.dates import PartialDate
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.matching import Resolution
from bot.domain.prices import Figure, MarketPrice, Observation
from bot.domain.query import parse_query
from bot.services.catalogue import Catalogue
from db import repo
from db.models import PriceObservation

PRICE_USAGE = (
    "Tell me what to look up: <code>/price lingzhi</code>, <code>/price rice hyesan</code>, "
    "<code>/price 쌀 혜산</code> or <code>/price 灵芝</code>."
)


def price_answer(
    engine: Engine, catalogue: Catalogue, text: str, *, today: date, lang: str = "en"
) -> str:
    """Return the HTML answer for a price question, or raise InvalidInput / NotFound."""
    if not text.strip():
        raise InvalidInput(PRICE_USAGE)
    parsed = parse_query(text, commodities=catalogue.commodities, markets=catalogue.markets)
    if not parsed.commodity_text:
        raise InvalidInput(PRICE_USAGE)
    commodity_id = _one(parsed.commodity, parsed.commodity_text, "commodity")
    market_id = None
    if parsed.market is not None and parsed.market_text:
        market_id = _one(parsed.market, parsed.market_text, "market")
    market_ids = catalogue.descendants(market_id) if market_id is not None else None
    with Session(engine) as session:
        rows = repo.recent_prices(session, commodity_id=commodity_id, market_ids=market_ids)
    name = catalogue.commodity_labels[commodity_id].in_lang(lang)
    if not rows:
        where = (
            f" in {catalogue.market_labels[market_id].in_lang(lang)}"
            if market_id is not None
            else ""
        )
        raise NotFound(f"No figures for {render.esc(name)}{render.esc(where)} yet.")
    items = market_prices(rows, catalogue, lang=lang)
    extra = (
        f" — {catalogue.market_labels[market_id].in_lang(lang)}" if market_id is not None else ""
    )
    return render.price_answer(name, items, today=today, heading_extra=extra)


def _one(resolution: Resolution, text: str, what: str) -> int:
    if resolution.match is not None:
        return resolution.match.entry.id
    names = tuple(c.entry.display for c in resolution.candidates)
    if names:
        raise NotFound(
            f"I'm not sure which {what} “{render.esc(text)}” means. Did you mean: "
            + ", ".join(render.esc(n) for n in names)
            + "?",
            names,
        )
    raise NotFound(f"I don't know a {what} called “{render.esc(text)}”. See /help for examples.")


def market_prices(
    rows: list[PriceObservation], catalogue: Catalogue, *, lang: str
) -> list[MarketPrice]:
    """Group figures (newest first) by market: latest, previous of the same series, record flag."""
    by_market: OrderedDict[int, list[PriceObservation]] = OrderedDict()
    for row in rows:
        by_market.setdefault(row.market_id, []).append(row)
    items = []
    for market_rows in by_market.values():
        latest = market_rows[0]
        series = [r for r in market_rows if _series(r) == _series(latest)]
        previous = series[1] if len(series) > 1 else None
        items.append(
            MarketPrice(
                latest=to_observation(latest, catalogue, lang=lang),
                previous=to_observation(previous, catalogue, lang=lang) if previous else None,
            )
        )
    return items


def _series(row: PriceObservation) -> tuple[str, str, str, str]:
    # A change of unit, currency, price type or source starts a new series (as FEWS NET does).
    return (row.price_type, row.currency, row.unit, row.source_name.casefold())


def to_observation(row: PriceObservation, catalogue: Catalogue, *, lang: str) -> Observation:
    """Turn a stored row into the domain view used for rendering."""
    assert row.id is not None
    return Observation(
        id=row.id,
        commodity=catalogue.commodity_labels[row.commodity_id].in_lang(lang),
        market=catalogue.market_labels[row.market_id].in_lang(lang),
        market_parent=catalogue.market_parent_label(row.market_id, lang),
        figure=Figure(low=row.price_low, high=row.price_high, currency=row.currency, unit=row.unit),
        grade=row.grade,
        price_type=row.price_type,
        observed=PartialDate(row.observed_on, row.observed_precision),
        reported_on=row.reported_on,
        source_name=row.source_name,
        source_url=row.source_url,
        reliability=row.reliability,
        note=row.note,
    )

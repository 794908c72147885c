"""Storing validated records: resolving their names and turning them into rows."""

from __future__ import annotations

from datetime import datetime

from bot.domain.errors import NotFound
from bot.domain.matching import Resolver
from bot.domain.records import PriceRecord, TradeReportRecord
from bot.domain.units import UNSPECIFIED
from bot.services.catalogue import Catalogue
from db.models import UNDATED, PriceObservation, TradeReport


def resolve_exactly(
    resolver: Resolver, slugs: dict[str, int], text: str, what: str
) -> tuple[int, str]:
    """Return (id, slug) for a slug or an exact name; a file row is never fuzzy-guessed."""
    if text in slugs:
        return slugs[text], text
    hits = resolver.exact(text)
    if len(hits) == 1:
        return hits[0].id, hits[0].slug
    close = tuple(c.entry.display for c in resolver.rank(text, limit=3))
    hint = f" Closest: {', '.join(close)}." if close else ""
    raise NotFound(f"Unknown {what} “{text}”.{hint}", suggestions=close)


def price_row(
    record: PriceRecord, catalogue: Catalogue, *, entered_by: int | None, now: datetime
) -> PriceObservation:
    """Build the row for a validated figure whose commodity and market exist in the catalogue."""
    commodity_id, commodity_slug = resolve_exactly(
        catalogue.commodities, catalogue.commodity_slugs, record.commodity, "commodity"
    )
    market_id, market_slug = resolve_exactly(
        catalogue.markets, catalogue.market_slugs, record.market, "market"
    )
    return PriceObservation(
        commodity_id=commodity_id,
        market_id=market_id,
        observed_on=record.observed.value,
        observed_precision=record.observed.precision,
        reported_on=record.reported_on,
        sort_on=record.observed.value or record.reported_on or UNDATED,
        price_low=record.low,
        price_high=record.high,
        grade=record.grade,
        price_type=record.price_type,
        currency=record.currency,
        unit=record.unit.text,
        unit_quantity=record.unit.quantity,
        unit_base=record.unit.base,
        per_base_low=None if record.unit.base == UNSPECIFIED else record.unit.per_base(record.low),
        per_base_high=None
        if record.unit.base == UNSPECIFIED
        else record.unit.per_base(record.high),
        source_name=record.source_name,
        source_url=record.source_url,
        reliability=record.reliability,
        note=record.note,
        via=record.via,
        via_url=record.via_url,
        date_inferred=record.date_inferred,
        report_order=record.report_order,
        entered_by=entered_by,
        created_at=now,
        natural_key=record.natural_key(commodity_slug, market_slug),
    )


def trade_report_row(
    record: TradeReportRecord, catalogue: Catalogue, *, entered_by: int | None, now: datetime
) -> tuple[TradeReport, list[int]]:
    """Build the row for a validated report and the ids of the goods it names."""
    market_id, market_slug = resolve_exactly(
        catalogue.markets, catalogue.market_slugs, record.place, "place"
    )
    goods = link_goods(catalogue, record.commodities)
    report = TradeReport(
        market_id=market_id,
        observed_on=record.observed.value,
        observed_precision=record.observed.precision,
        sort_on=record.observed.value or UNDATED,
        topics=list(record.topics),
        direction=record.direction,
        channel=record.channel,
        border_status=record.border_status,
        market_activity=record.market_activity,
        enforcement=record.enforcement,
        goods=list(record.commodities),
        summary=record.summary,
        source_name=record.source_name,
        source_url=record.source_url,
        reliability=record.reliability,
        entered_by=entered_by,
        created_at=now,
        natural_key=record.natural_key(market_slug),
    )
    return report, goods


def link_goods(catalogue: Catalogue, names: tuple[str, ...] | list[str]) -> list[int]:
    """Return the catalogue ids of the goods a report names that are in the catalogue.

    A slug or one exact name links; anything else ("mobile phones") stays a named good only.
    """
    ids: list[int] = []
    for name in names:
        found = catalogue.commodity_slugs.get(name)
        if found is None:
            hits = catalogue.commodities.exact(name)
            found = hits[0].id if len(hits) == 1 else None
        if found is not None and found not in ids:
            ids.append(found)
    return ids

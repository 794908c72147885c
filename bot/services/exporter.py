"""Exporting live price figures as CSV (WFP/HDX columns first, then the project's own) and
trade-condition reports in the columns their import reads.

Text cells a spreadsheet would run as a formula get one quote in front (csvfile.escape_cell);
the importer takes it off, so an exported file imports as the figures it came from. The numbers
(latitude, longitude, price, price_low, price_high) are written as numbers and never escaped.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TextIO

from sqlalchemy import Table, select
from sqlalchemy.engine import Engine

from bot.domain.dates import PartialDate
from bot.services.catalogue import Catalogue
from bot.services.csvfile import KNOWN_COLUMNS
from bot.services.csvfile import escape_cell as escape
from bot.services.report_import import REPORT_COLUMNS
from db.models import Market, PriceObservation, TradeReport, TradeReportCommodity, table_of

logger = logging.getLogger(__name__)

COLUMNS = KNOWN_COLUMNS
# Rows fetched from the database per round trip; the file is never held in memory.
CHUNK = 2000
PRICES: Table = table_of(PriceObservation)
MARKETS: Table = table_of(Market)
REPORTS: Table = table_of(TradeReport)
REPORT_GOODS: Table = table_of(TradeReportCommodity)


def export_prices(
    engine: Engine,
    catalogue: Catalogue,
    out: TextIO,
    *,
    commodity_id: int | None = None,
    market_ids: Sequence[int] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> int:
    """Write the live figures as CSV in the import format, in entry order; return the count."""
    p = PRICES.c
    query = select(PRICES).where(p.deleted_at.is_(None)).order_by(p.id)
    if commodity_id is not None:
        query = query.where(p.commodity_id == commodity_id)
    if market_ids is not None:
        query = query.where(p.market_id.in_(list(market_ids)))
    if start is not None or end is not None:
        # A period never includes figures whose date is unknown.
        query = query.where(p.observed_on.is_not(None))
    if start is not None:
        query = query.where(p.sort_on >= start)
    if end is not None:
        query = query.where(p.sort_on <= end)
    commodities = {e.id: (e.slug, e.kind) for e in catalogue.commodities.entries}
    markets = {e.id: e.slug for e in catalogue.markets.entries}
    # csv writes None as an empty cell.
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    with engine.connect() as conn:
        places = {
            row.id: (row.latitude, row.longitude)
            for row in conn.execute(select(MARKETS.c.id, MARKETS.c.latitude, MARKETS.c.longitude))
        }
        provinces = {m: _province(catalogue, markets, m) for m in markets}
        for row in conn.execution_options(yield_per=CHUNK).execute(query):
            commodity, category = commodities[row.commodity_id]
            latitude, longitude = places.get(row.market_id, (None, None))
            low, high = number(row.price_low), number(row.price_high)
            # Every text cell is escaped; dates (digits) and numbers are written as they are.
            writer.writerow(
                (
                    PartialDate(row.observed_on, row.observed_precision).iso(),
                    escape(provinces.get(row.market_id, "")),
                    "",
                    escape(markets[row.market_id]),
                    latitude,
                    longitude,
                    escape(category),
                    escape(commodity),
                    escape(row.unit),
                    "actual",
                    escape(row.price_type),
                    escape(row.currency),
                    low if low == high else f"{low}-{high}",
                    number(row.usd_price) if row.usd_price is not None else None,
                    low,
                    high,
                    escape(row.grade),
                    escape(row.source_name),
                    escape(row.source_url),
                    escape(row.via),
                    escape(row.via_url),
                    escape(row.reliability),
                    escape(row.note),
                    row.reported_on.isoformat() if row.reported_on else None,
                    "yes" if row.date_inferred else None,
                    row.report_order,
                )
            )
            count += 1
    logger.info("Exported %d price rows", count)
    return count


def export_reports(
    engine: Engine,
    catalogue: Catalogue,
    out: TextIO,
    *,
    market_ids: Sequence[int] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> int:
    """Write the live trade-condition reports as CSV in the import format, in entry order."""
    r = REPORTS.c
    query = select(REPORTS).where(r.deleted_at.is_(None)).order_by(r.id)
    if market_ids is not None:
        query = query.where(r.market_id.in_(list(market_ids)))
    if start is not None or end is not None:
        # A period never includes reports whose date is unknown.
        query = query.where(r.observed_on.is_not(None))
    if start is not None:
        query = query.where(r.sort_on >= start)
    if end is not None:
        query = query.where(r.sort_on <= end)
    markets = {e.id: e.slug for e in catalogue.markets.entries}
    commodities = {e.id: e.slug for e in catalogue.commodities.entries}
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    count = 0
    with engine.connect() as conn:
        # Older reports kept only their links to the catalogue, not the goods as named.
        linked: dict[int, list[str]] = {}
        links = select(REPORT_GOODS.c.report_id, REPORT_GOODS.c.commodity_id).order_by(
            REPORT_GOODS.c.report_id, REPORT_GOODS.c.commodity_id
        )
        for report_id, commodity_id in conn.execute(links):
            if commodity_id in commodities:
                linked.setdefault(report_id, []).append(commodities[commodity_id])
        for row in conn.execution_options(yield_per=CHUNK).execute(query):
            goods = list(row.goods or ()) or linked.get(row.id, [])
            writer.writerow(
                (
                    escape(markets[row.market_id]),
                    PartialDate(row.observed_on, row.observed_precision).iso(),
                    escape(row.observed_precision),
                    escape(";".join(row.topics or ())),
                    escape(row.direction),
                    escape(row.channel),
                    escape(row.border_status),
                    escape(row.market_activity),
                    escape(row.enforcement),
                    escape(";".join(goods)),
                    escape(row.summary),
                    escape(row.source_name),
                    escape(row.source_url),
                    escape(row.reliability),
                )
            )
            count += 1
    logger.info("Exported %d trade reports", count)
    return count


def number(value: float) -> str:
    """Write a price so that it reads back as the same float: no exponent, no trailing .0."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    # repr is the shortest text that reads back as this float; Decimal spells it out in full.
    return format(Decimal(repr(value)), "f")


def _province(catalogue: Catalogue, slugs: dict[int, str], market_id: int) -> str:
    """Return the slug of the province a place lies in (the place itself for a province)."""
    for place in (market_id, *catalogue.ancestors(market_id)):
        if catalogue.market_kind.get(place) == "province":
            return slugs[place]
    return ""

"""Migration 0007 reads the provenance older rows told in their notes, as the sample now states it."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from bot.domain.dates import PartialDate
from bot.domain.records import price_natural_key
from bot.services.catalogue import sync_catalogue
from bot.services.seed import load_sample
from db.engine import make_engine, upgrade
from db.models import Commodity, Market, PriceObservation
from tests.support.clock import NOW
from tests.support.db import sqlite_url

DATA = Path(__file__).parents[1] / "support" / "data"
# The price table as revision 0006 left it.
_OLD = sa.table(
    "priceobservation",
    *(
        sa.column(name, sa.Date() if name.endswith("_on") else None)
        for name in (
            "commodity_id",
            "market_id",
            "observed_on",
            "observed_precision",
            "reported_on",
            "sort_on",
            "price_low",
            "price_high",
            "grade",
            "price_type",
            "currency",
            "unit",
            "unit_quantity",
            "unit_base",
            "source_name",
            "source_url",
            "note",
            "created_at",
            "natural_key",
        )
    ),
)


def _legacy_rows(engine: sa.Engine) -> None:
    """Store the legacy file's rows the way the importer of revision 0006 stored them."""
    with Session(engine) as session:
        commodities = {c.slug: c.id for c in session.exec(select(Commodity))}
        markets = {m.slug: m.id for m in session.exec(select(Market))}
    rows = []
    with (DATA / "legacy_prices.csv").open(newline="") as f:
        for cells in csv.DictReader(f):
            observed = PartialDate.parse(cells["date"])
            reported = PartialDate.parse(cells["reported_date"]).value
            rows.append(
                {
                    "commodity_id": commodities[cells["commodity"]],
                    "market_id": markets[cells["market"]],
                    "observed_on": observed.value,
                    "observed_precision": observed.precision,
                    "reported_on": reported,
                    "sort_on": observed.value or reported or date(1, 1, 1),
                    "price_low": float(cells["price_low"]),
                    "price_high": float(cells["price_high"]),
                    "grade": cells["grade"] or None,
                    "price_type": cells["pricetype"],
                    "currency": cells["currency"],
                    "unit": cells["unit"],
                    "unit_quantity": 1.0,
                    "unit_base": cells["unit"],
                    "source_name": cells["source"],
                    "source_url": cells["source_url"] or None,
                    "note": cells["note"] or None,
                    "created_at": NOW,
                    "natural_key": price_natural_key(
                        cells["commodity"],
                        cells["market"],
                        observed.iso(),
                        cells["pricetype"],
                        cells["currency"],
                        cells["unit"],
                        cells["grade"] or None,
                        float(cells["price_low"]),
                        float(cells["price_high"]),
                        cells["source"],
                        cells["source_url"] or None,
                        cells["note"] or None,
                    ),
                }
            )
    with engine.begin() as conn:
        conn.execute(sa.insert(_OLD), rows)


def test_legacy_notes_become_fields_and_the_new_sample_adds_nothing(tmp_path):
    engine = make_engine(sqlite_url(tmp_path / "old.sqlite3"))
    upgrade(engine, "0006")
    sync_catalogue(engine, now=NOW)
    _legacy_rows(engine)
    upgrade(engine)
    with Session(engine) as session:
        rows = {
            (r.source_name, r.price_low, r.note): r for r in session.exec(select(PriceObservation))
        }
    by_low = {low: r for (_s, low, _n), r in rows.items()}
    # "via Nocut News; year not stated": read at Nocut News; the original link is not known.
    nocut = by_low[5250.0]
    assert (nocut.source_url, nocut.via) == (None, "Nocut News")
    assert nocut.via_url == "https://m.nocutnews.co.kr/news/amp/4630077"
    assert nocut.note == "'last week' via CBS Nocut News; 4th month of sanctions, July"
    # "reprint; year from URL date 2024/05/21": an inferred year, said in plain words.
    rate = by_low[8850.0]
    assert rate.date_inferred and rate.via == "marketnews.top"
    assert rate.note == "year taken from the date in the link (2024/05/21)"
    # A ReliefWeb page reprints Good Friends even where no note says so.
    assert by_low[1100.0].via == "ReliefWeb" and by_low[1100.0].source_url is None
    # "page header dated 2024-07-18" is the publication date.
    leech = by_low[550.0]
    assert leech.reported_on == date(2024, 7, 18) and leech.sort_on == date(2024, 7, 18)
    # The article's order: "before" and "recently"; "Mar 5" before "Mar 19".
    assert (by_low[200.0].report_order, by_low[500.0].report_order) == (1, 2)
    assert (by_low[5800.0].report_order, by_low[5550.0].report_order) == (1, 2)
    # A row whose note told nothing of this is as it was.
    asiapress = by_low[7000.0]
    assert asiapress.via is None and asiapress.source_url and not asiapress.date_inferred
    # The same figures in today's columns are the same figures: loading them adds nothing.
    result = load_sample(
        engine, now=NOW, prices_csv=DATA / "provenance_prices.csv",
        reports_csv=DATA / "no_reports.csv",
    )  # fmt: skip
    assert (result.prices_added, result.prices_skipped) == (0, len(rows))

"""Factories for test data: valid rows with overridable fields."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain.records import price_record_from_row, trade_report_from_row
from bot.services.catalogue import Catalogue
from bot.services.records import price_row, trade_report_row
from db import repo
from db.models import PriceObservation, TradeReport


def price_fields(**overrides: str) -> dict[str, str]:
    """Return a valid price row (project columns) with overrides applied."""
    row = {
        "date": "2026-10-01",
        "market": "hyesan",
        "commodity": "rice",
        "unit": "kg",
        "pricetype": "retail",
        "currency": "KPW",
        "price": "8000",
        "source": "Daily NK",
        "source_url": "https://example.org/r",
    }
    row.update(overrides)
    return row


def add_price(
    engine: Engine, catalogue: Catalogue, *, now: datetime, **overrides: str
) -> PriceObservation:
    """Store one price built from `price_fields` and return the stored row."""
    record = price_record_from_row(price_fields(**overrides), today=now.date())
    row = price_row(record, catalogue, entered_by=None, now=now)
    with Session(engine) as session:
        session.add(row)
        session.commit()
        session.refresh(row)
    return row


def add_rate(
    engine: Engine, catalogue: Catalogue, *, now: datetime, date: str, price: str, **overrides: str
) -> PriceObservation:
    """Store one market exchange rate of the US dollar (won per dollar) in Hyesan by default."""
    fields = {"commodity": "us-dollar", "unit": "USD", "pricetype": "market"} | overrides
    return add_price(engine, catalogue, now=now, date=date, price=price, **fields)


def add_report(
    engine: Engine, catalogue: Catalogue, *, now: datetime, **overrides: str
) -> TradeReport:
    """Store one trade-condition report (Hyesan, border, a dated summary) with overrides."""
    fields = {
        "place": "hyesan",
        "date": "2026-10-01",
        "topics": "border",
        "summary": "Guards let traders cross again.",
        "source": "Daily NK",
        "source_url": "https://example.org/c",
    } | overrides
    record = trade_report_from_row(fields, today=now.date())
    report, goods = trade_report_row(record, catalogue, entered_by=None, now=now)
    with Session(engine) as session:
        repo.add_trade_report(session, report=report, commodity_ids=goods)
        session.commit()
        session.refresh(report)
    return report


def subscription_row(
    chat_id: int,
    *,
    due: datetime,
    now: datetime,
    goods: tuple[int, ...] = (),
    places: tuple[int, ...] = (),
    timezone: str = "UTC",
) -> dict:
    """A subscription as a plain row, for bulk inserts (weekly, Mondays 09:00)."""
    from bot.services.digests import Filters

    return {
        "chat_id": chat_id,
        "chat_type": "private",
        "commodity_ids": list(goods),
        "market_ids": list(places),
        "filter_key": Filters(goods, places).key,
        "cadence": "weekly",
        "weekday": 0,
        "hour": 9,
        "timezone": timezone,
        "language": "en",
        "alerts": False,
        "active": True,
        "next_due_at": due,
        "created_at": now,
        "updated_at": now,
    }

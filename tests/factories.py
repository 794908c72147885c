"""Factories for test data: valid rows with overridable fields."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain.records import price_record_from_row
from bot.services.catalogue import Catalogue
from bot.services.records import price_row
from db.models import PriceObservation


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

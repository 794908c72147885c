"""Loading the packaged sample data (prices and trade-condition reports), idempotently."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain.errors import DomainError
from bot.domain.records import price_record_from_row, trade_report_from_row
from bot.services.catalogue import load_catalogue
from bot.services.records import price_row, trade_report_row
from config.paths import SAMPLE_PRICES_CSV, SAMPLE_TRADE_REPORTS_CSV
from db import repo

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeedResult:
    """What a sample-data load added and what it already had."""

    prices_added: int
    prices_skipped: int
    reports_added: int
    reports_skipped: int


def load_sample(
    engine: Engine,
    *,
    now: datetime,
    prices_csv: Path = SAMPLE_PRICES_CSV,
    reports_csv: Path = SAMPLE_TRADE_REPORTS_CSV,
) -> SeedResult:
    """Load the sample prices and reports in one transaction; a second run adds nothing."""
    catalogue = load_catalogue(engine)
    today = now.date()
    added = skipped = r_added = r_skipped = 0
    with Session(engine) as session:
        for line, row in _read(prices_csv):
            try:
                observation = price_row(
                    price_record_from_row(row, today=today), catalogue, entered_by=None, now=now
                )
            except DomainError as exc:
                raise ValueError(f"{prices_csv.name} line {line}: {exc.user_message}") from None
            if repo.price_exists(session, natural_key=observation.natural_key):
                skipped += 1
                continue
            repo.add_price(session, observation=observation)
            # Flush per row so an identical row later in the same file is seen as a duplicate.
            session.flush()
            added += 1
        for line, row in _read(reports_csv):
            try:
                report, goods = trade_report_row(
                    trade_report_from_row(row, today=today), catalogue, entered_by=None, now=now
                )
            except DomainError as exc:
                raise ValueError(f"{reports_csv.name} line {line}: {exc.user_message}") from None
            if repo.trade_report_exists(session, natural_key=report.natural_key):
                r_skipped += 1
                continue
            repo.add_trade_report(session, report=report, commodity_ids=goods)
            r_added += 1
        session.commit()
    result = SeedResult(added, skipped, r_added, r_skipped)
    logger.info("Sample data: %s", result)
    return result


def _read(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        # Line numbers as an editor shows them: the header is line 1.
        yield from enumerate(csv.DictReader(handle), start=2)

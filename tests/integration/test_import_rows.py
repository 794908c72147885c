"""The verdicts an import stores by: the same values and natural keys as the record rules give."""

from __future__ import annotations

import csv

from bot.domain.errors import DomainError
from bot.domain.records import parse_price_range
from bot.services.importrows import RowInvalid, RowParser, natural_key, read_header
from config.paths import SAMPLE_PRICES_CSV
from tests.support.clock import NOW

HEADER = ["date", "market", "commodity", "unit", "pricetype", "currency", "price", "source"]
ROW = ["2026-10-01", "hyesan", "rice", "kg", "retail", "KPW", "8000", "Daily NK"]
PRICES = [
    "8000", "8,000", "1,2,3", "00012", "500-1,200", "500-500", "12,500-13,000", "1200-500", "0",
    "-5", "0-5", "1e3", " 800 ", "800 - 900", "800~900", "٣٠٠", "²", "1,000,000,000,001", "9-",
    "-9", "7--8", "1.5", "1.5-2", ",", "", "1,000-2,000,000,000,000",
]  # fmt: skip


def test_a_judged_rows_natural_key_is_its_records(catalogue):
    with SAMPLE_PRICES_CSV.open(encoding="utf-8", newline="") as handle:
        header, *rows = csv.reader(handle)
    parser = read_header((1, header), catalogue, NOW.date())
    assert isinstance(parser, RowParser)
    for cells in rows:
        judged = parser.judge(list(cells))
        # ParsedRow.natural_key hashes the fields with PriceRecord's own recipe.
        assert natural_key(judged) == parser.parse(list(cells)).natural_key(), cells


def test_price_cells_read_as_the_record_rules_read_them(catalogue):
    parser = read_header((1, HEADER), catalogue, NOW.date())
    assert isinstance(parser, RowParser)
    for price in PRICES:
        cells = ROW.copy()
        cells[HEADER.index("price")] = price
        try:
            expected: tuple[float, float] | str = parse_price_range(price)
        except DomainError as exc:
            expected = exc.user_message
        try:
            prices = parser.judge(cells).prices
            got: tuple[float, float] | str = (prices.low, prices.high)
        except RowInvalid as exc:
            got = str(exc)
        assert got == expected, price

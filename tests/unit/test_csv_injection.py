"""Spreadsheet formulas in exported CSV (OWASP "CSV injection"): escaped on export, undone on import.

The rule: a text cell that starts with = + - @ tab or carriage return, or with quotes followed by
one of those, gets one more quote in front; the importer takes exactly one quote off such a cell.
Every cell reads back as it was, and no exported text cell starts like a formula.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete

from bot.services.catalogue import load_catalogue
from bot.services.csvfile import FORMULA_STARTS, escape_cell, unescape_cell
from bot.services.exporter import COLUMNS, export_prices, export_reports
from bot.services.importer import import_prices
from bot.services.report_import import REPORT_COLUMNS, import_reports
from db.models import PriceObservation, TradeReport, TradeReportCommodity
from tests.support.clock import NOW
from tests.support.factories import add_price, add_report


@pytest.mark.parametrize(
    ("cell", "exported"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x.example","click")', '\'=HYPERLINK("http://x.example","click")'),
        ("-10% wholesale", "'-10% wholesale"),
        ("+82 10 1234", "'+82 10 1234"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("=", "'="),
        # A cell a user really wrote with a leading quote keeps it: one more is added.
        ("'=x", "''=x"),
        ("''-x", "'''-x"),
        # Quotes before anything else, and cells that do not start like a formula, stay as written.
        ("'quoted'", "'quoted'"),
        ("'", "'"),
        ("''", "''"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("10-20", "10-20"),
        (" =x", " =x"),
        ("", ""),
    ],
)
def test_formula_cells_get_one_quote_that_import_takes_off(cell, exported):
    assert escape_cell(cell) == exported
    assert unescape_cell(exported) == cell


def test_an_absent_cell_stays_absent():
    assert escape_cell(None) is None


@pytest.mark.parametrize(
    ("written", "read"),
    [("'=x", "=x"), ("''=x", "'=x"), ("'-3", "-3"), ("'x", "'x"), ("'", "'"), ("=x", "=x")],
)
def test_import_takes_off_exactly_one_quote_and_only_before_a_formula(written, read):
    assert unescape_cell(written) == read


@given(st.text(alphabet=st.sampled_from("'=+-@\t\rab 1"), max_size=8) | st.text(max_size=20))
def test_every_cell_round_trips_and_none_is_exported_as_a_formula(cell):
    exported = escape_cell(cell)
    assert exported is not None
    assert unescape_cell(exported) == cell
    assert exported[:1] not in FORMULA_STARTS
    assert exported in (cell, "'" + cell)


def _cells(text: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == columns
    return [dict(zip(columns, row, strict=True)) for row in rows[1:]]


def _export_prices(engine) -> str:
    out = io.StringIO()
    export_prices(engine, load_catalogue(engine), out)
    return out.getvalue()


def _export_reports(engine) -> str:
    out = io.StringIO()
    export_reports(engine, load_catalogue(engine), out)
    return out.getvalue()


def test_price_export_escapes_text_cells_and_imports_back_byte_identical(engine, catalogue):
    add_price(
        engine, catalogue, now=NOW, grade="-10% wholesale", note='=HYPERLINK("http://x.example")'
    )
    add_price(engine, catalogue, now=NOW, source="@risk desk", note="'=already quoted", price="7")
    add_price(engine, catalogue, now=NOW, grade="+ premium", note="plain", price="500-1200")
    first = _export_prices(engine)
    rows = _cells(first, COLUMNS)
    assert [r["grade"] for r in rows] == ["'-10% wholesale", "", "'+ premium"]
    assert [r["note"] for r in rows] == [
        '\'=HYPERLINK("http://x.example")',
        "''=already quoted",
        "plain",
    ]
    assert rows[1]["source"] == "'@risk desk"
    # The numbers the importer parses are written as numbers, never escaped.
    assert [r["price"] for r in rows] == ["8000", "7", "500-1200"]
    assert [(r["price_low"], r["price_high"]) for r in rows][2] == ("500", "1200")
    for row in rows:
        assert all(cell[:1] not in FORMULA_STARTS for cell in row.values())

    with engine.begin() as conn:
        conn.execute(delete(PriceObservation))
    result = import_prices(
        engine, catalogue, io.BytesIO(first.encode()), name="e.csv", entered_by=None, now=NOW
    )
    assert (result.errors, result.added) == ((), 3)
    assert _export_prices(engine) == first
    # What is stored is what was entered, without the export's quotes.
    again = import_prices(
        engine, catalogue, io.BytesIO(first.encode()), name="e.csv", entered_by=None, now=NOW
    )
    assert (again.added, again.duplicates) == (0, 3)


def test_report_export_escapes_text_cells_and_imports_back_byte_identical(engine, catalogue):
    add_report(
        engine,
        catalogue,
        now=NOW,
        summary="=cmd|' /C calc'!A0 was pasted into a report.",
        enforcement="-crackdown on phones",
        commodities="=x;rice",
        source="+Daily NK",
    )
    add_report(engine, catalogue, now=NOW, summary="'-quoted by the source", date="2026-09")
    first = _export_reports(engine)
    rows = _cells(first, REPORT_COLUMNS)
    assert rows[0]["summary"] == "'=cmd|' /C calc'!A0 was pasted into a report."
    assert rows[0]["enforcement"] == "'-crackdown on phones"
    assert rows[0]["commodities"] == "'=x;rice"
    assert rows[0]["source"] == "'+Daily NK"
    assert rows[1]["summary"] == "''-quoted by the source"
    for row in rows:
        assert all(cell[:1] not in FORMULA_STARTS for cell in row.values())

    with engine.begin() as conn:
        conn.execute(delete(TradeReportCommodity))
        conn.execute(delete(TradeReport))
    result = import_reports(
        engine, catalogue, io.BytesIO(first.encode()), name="r.csv", entered_by=None, now=NOW
    )
    assert (result.errors, result.added) == ((), 2)
    assert _export_reports(engine) == first

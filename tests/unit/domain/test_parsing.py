"""Dates, units, numbers and record validation."""

from datetime import date

import pytest

from bot.domain.dates import PartialDate, age_label
from bot.domain.errors import InvalidInput
from bot.domain.records import (
    parse_price_range,
    parse_reliability,
    price_record_from_row,
    trade_report_from_row,
)
from bot.domain.units import parse_unit

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("text", "iso", "precision", "label"),
    [
        ("2024-11-03", "2024-11-03", "day", "3 Nov 2024"),
        ("2024-11", "2024-11", "month", "Nov 2024"),
        ("2024", "2024", "year", "2024"),
        ("", "", "unknown", "date not stated"),
        ("2024/5", "2024-05", "month", "May 2024"),
    ],
)
def test_partial_dates_keep_their_precision(text, iso, precision, label):
    parsed = PartialDate.parse(text, today=TODAY)
    assert (parsed.iso(), parsed.precision, parsed.label()) == (iso, precision, label)


@pytest.mark.parametrize(
    "text", ["2024-13", "2024-02-30", "yesterday", "1850", "2027-01", "24-11-03"]
)
def test_bad_or_future_dates_are_refused(text):
    with pytest.raises(InvalidInput):
        PartialDate.parse(text, today=TODAY)


def test_age_counts_from_the_end_of_the_period():
    assert PartialDate.parse("2026-11").age_days(TODAY) == 0
    assert PartialDate.parse("2026-10").age_days(TODAY) == 28
    assert PartialDate.parse("2025").age_days(TODAY) == 332
    assert PartialDate.unknown().age_days(TODAY) is None
    assert (
        age_label(3) == "3 days old"
        and age_label(70) == "2 months old"
        and age_label(800) == "2 years old"
    )


@pytest.mark.parametrize(
    ("text", "shown", "base", "quantity"),
    [
        ("kg", "kg", "kg", 1.0),
        ("600 g", "600 g", "kg", 0.6),
        ("600g", "600 g", "kg", 0.6),
        ("jin", "jin", "kg", 0.5),
        ("근", "근", "kg", 0.6),
        ("斤", "斤", "kg", 0.5),
        ("per USD", "USD", "USD", 1.0),
        ("100 CNY", "100 CNY", "CNY", 100.0),
        ("liter", "liter", "l", 1.0),
        ("head", "head", "head", 1.0),
    ],
)
def test_units_are_kept_as_reported_with_their_base(text, shown, base, quantity):
    unit = parse_unit(text)
    assert (unit.text, unit.base, unit.quantity) == (shown, base, pytest.approx(quantity))


def test_price_per_base_unit_derives_a_kilogram_value():
    assert parse_unit("600 g").per_base(60) == pytest.approx(100)


@pytest.mark.parametrize("text", ["", "bushel", "0 kg", "-5 kg"])
def test_unknown_units_are_refused(text):
    with pytest.raises(InvalidInput):
        parse_unit(text)


@pytest.mark.parametrize(
    ("price", "low", "high", "expected"),
    [
        ("500-1200", "", "", (500, 1200)),
        ("500–1,200", "", "", (500, 1200)),
        ("8,130", "", "", (8130, 8130)),
        ("", "200", "300", (200, 300)),
        ("0.5", "", "", (0.5, 0.5)),
    ],
)
def test_price_ranges_are_kept(price, low, high, expected):
    assert parse_price_range(price, low, high) == expected


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("1200-500", "backwards"),
        ("0", "above zero"),
        ("-3", "not a number"),
        ("abc", "not a number"),
        ("", "missing"),
    ],
)
def test_bad_prices_say_what_is_wrong(price, message):
    with pytest.raises(InvalidInput, match=message):
        parse_price_range(price)


def test_reliability_is_an_admiralty_code():
    assert parse_reliability("b2") == "B2"
    assert parse_reliability("") is None
    for bad in ("G1", "A7", "AA", "2B"):
        with pytest.raises(InvalidInput):
            parse_reliability(bad)


ROW = {
    "date": "2024-11",
    "market": "hyesan",
    "commodity": "lingzhi",
    "unit": "kg",
    "pricetype": "middleman",
    "currency": "cny",
    "price": "500-1200",
    "source": "Daily NK",
    "source_url": "https://example.org/a",
    "reliability": "B3",
    "grade": "depending on quality",
}


def test_a_valid_row_becomes_a_record():
    record = price_record_from_row(ROW, today=TODAY)
    assert (record.low, record.high, record.currency, record.price_type) == (
        500,
        1200,
        "CNY",
        "middleman",
    )
    assert record.observed.precision == "month" and record.reliability == "B3"


def test_the_natural_key_is_stable_and_sensitive():
    a = price_record_from_row(ROW, today=TODAY)
    b = price_record_from_row(dict(ROW), today=TODAY)
    c = price_record_from_row({**ROW, "price": "500-1300"}, today=TODAY)
    assert a.natural_key("lingzhi", "hyesan") == b.natural_key("lingzhi", "hyesan")
    assert a.natural_key("lingzhi", "hyesan") != c.natural_key("lingzhi", "hyesan")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"currency": "XYZ"}, "not a currency"),
        ({"source": ""}, "source is missing"),
        ({"date": "2030-01"}, "future"),
        ({"source_url": "javascript:alert(1)"}, "not a web address"),
        ({"pricetype": "bartered"}, "not a price type"),
        ({"commodity": ""}, "commodity is missing"),
    ],
)
def test_invalid_rows_name_the_problem(change, message):
    with pytest.raises(InvalidInput, match=message):
        price_record_from_row({**ROW, **change}, today=TODAY)


def test_trade_report_rows_are_validated():
    row = {
        "place": "hyesan",
        "topics": "smuggling;exports",
        "direction": "export",
        "channel": "state-sanctioned-smuggling",
        "border_status": "restricted",
        "commodities": "lingzhi;dried-leech",
        "summary": "Trading companies export herbs.",
        "source": "Daily NK",
        "reliability": "B3",
    }
    record = trade_report_from_row(row, today=TODAY)
    assert record.topics == ("smuggling", "exports") and record.commodities == (
        "lingzhi",
        "dried-leech",
    )
    with pytest.raises(InvalidInput, match="limit is 2,000"):
        trade_report_from_row({**row, "summary": "x" * 10_000_000}, today=TODAY)
    assert trade_report_from_row({**row, "summary": "x" * 2000}, today=TODAY).summary
    with pytest.raises(InvalidInput, match="not a topic"):
        trade_report_from_row({**row, "topics": "weather"}, today=TODAY)


def test_trade_report_rows_take_todays_words_and_older_ones():
    row = {"place": "sinuiju", "summary": "Trucks crossed again.", "source": "Daily NK"}
    record = trade_report_from_row(
        {
            **row,
            "topics": "crackdown; Transport;border;border",
            "border_status": "partially open",
            "market_activity": "booming",
            "channel": "Truck",
            "commodities": "mobile phones; used  vehicles;Mobile Phones",
            "date": "2025-08",
            "date_precision": "month",
        },
        today=TODAY,
    )
    assert record.topics == ("enforcement", "transport", "border")
    assert record.border_status == "partially-open"
    assert record.market_activity == "booming"
    assert record.channel == "truck"
    assert record.commodities == ("mobile phones", "used vehicles")
    assert trade_report_from_row(
        {**row, "border_status": "lockdown"}, today=TODAY
    ).border_status == ("closed")
    with pytest.raises(InvalidInput, match="not a border status"):
        trade_report_from_row({**row, "border_status": "ajar"}, today=TODAY)
    with pytest.raises(InvalidInput, match="not a channel"):
        trade_report_from_row({**row, "channel": "by night, across the river"}, today=TODAY)
    with pytest.raises(InvalidInput, match="precision"):
        trade_report_from_row({**row, "date": "2025-08", "date_precision": "day"}, today=TODAY)
    with pytest.raises(InvalidInput, match="not a date precision"):
        trade_report_from_row({**row, "date": "2025", "date_precision": "decade"}, today=TODAY)
    with pytest.raises(InvalidInput, match="future"):
        trade_report_from_row({**row, "date": f"{TODAY.year + 1}"}, today=TODAY)

"""Unit quantities and prices per base unit are bounded in every way a figure is entered.

`516 CNY/0.0000000001 g` once went in and showed as 5,160,000,000,000,000 CNY/kg, with a unit
("1e-10 g") that could not be read back to edit it. The record rules refuse it now, in the
`/addprice` line, the guided form, `/edit` and CSV imports alike.
"""

from __future__ import annotations

import io

import pytest
from sqlmodel import Session, func, select

from bot.domain.errors import DomainError, InvalidInput
from bot.domain.records import MAX_PRICE, price_record_from_row
from bot.domain.units import MAX_QUANTITY, MIN_QUANTITY, parse_unit, valid_unit
from bot.services.importer import import_prices
from config.settings import Settings
from db.models import PriceObservation
from tests.support.clock import NOW
from tests.support.factories import add_price, price_fields
from tests.support.services import make_services

OWNER = 9001
TINY = "0.0000000001 g"
QUANTITY = "quantity of a unit"
PER_BASE = "too large to be a real price"


@pytest.fixture
def services(engine):
    return make_services(Settings(_env_file=None, admin_ids=[OWNER]), engine, now=lambda: NOW)


def count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(PriceObservation)).one()


@pytest.mark.parametrize(
    "text", [TINY, "0.0009 kg", "100001 kg", "1000000 KPW", "0 g", "9" * 400 + " kg"]
)
def test_quantities_outside_the_range_are_refused(text):
    with pytest.raises(InvalidInput, match="quantity"):
        valid_unit(text)


def test_the_refusal_names_the_range():
    with pytest.raises(InvalidInput, match=r"must be from 0\.001 to 100,000"):
        valid_unit(TINY)


def test_reading_a_line_still_tells_a_unit_by_its_shape():
    # The entry line finds its unit this way; the record rules then say what is wrong with it.
    assert parse_unit(TINY).base == "kg" and parse_unit("100001 kg").quantity == 100_001


@pytest.mark.parametrize(
    "text", ["0.001 g", "100000 CNY", "600 g", "0.5 jin", "kg", "per 100 USD", "250 ml"]
)
def test_quantities_inside_the_range_are_kept_and_read_back(text):
    unit = valid_unit(text)
    assert valid_unit(unit.text) == unit == parse_unit(text)
    assert "e" not in unit.text.split()[0]


def test_a_quantity_whose_text_would_not_read_back_is_refused():
    # Stored as "12345.7 g" it would be another unit on the next /edit.
    with pytest.raises(InvalidInput, match="six significant digits"):
        valid_unit("12345.678 g")
    with pytest.raises(InvalidInput, match="limit is 20"):
        valid_unit("2 c u b i c m e t r e")


@pytest.mark.parametrize(
    ("price", "unit", "problem"),
    [
        ("516", TINY, QUANTITY),
        ("2,000,000", "0.001 g", PER_BASE),
        ("1,000,000,000,000", "0.5 kg", PER_BASE),
    ],
)
def test_the_record_rules_refuse_an_implausible_price_per_base_unit(price, unit, problem):
    with pytest.raises(InvalidInput, match=problem):
        price_record_from_row(price_fields(price=price, unit=unit), today=NOW.date())


def test_the_cap_applies_per_base_unit_at_its_edge():
    at_cap = price_record_from_row(price_fields(price="1000000", unit="0.001 g"), today=NOW.date())
    assert at_cap.unit.per_base(at_cap.high) == pytest.approx(MAX_PRICE)
    smallest = valid_unit(f"{MIN_QUANTITY:g} g")
    largest = valid_unit(f"{MAX_QUANTITY:.0f} kg")
    assert (smallest.quantity, largest.quantity) == (pytest.approx(1e-6), 100_000)


def test_the_refusal_names_the_price_per_base_unit():
    with pytest.raises(InvalidInput) as caught:
        price_record_from_row(
            price_fields(price="2,000,000", unit="0.001 g", currency="CNY"), today=NOW.date()
        )
    assert "2,000,000 CNY per 0.001 g is 2,000,000,000,000 CNY per kg" in str(caught.value)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (f'lingzhi hyesan 516 CNY/{TINY} 2024-11 source:"Daily NK"', QUANTITY),
        ('lingzhi hyesan 2000000 CNY/0.001 g 2024-11 source:"Daily NK"', PER_BASE),
    ],
)
def test_the_addprice_line_refuses_them_and_writes_nothing(services, engine, line, problem):
    with pytest.raises(DomainError, match=problem):
        services.entries.price_from_line(admin_id=OWNER, text=line)
    assert count(engine) == 0


def test_the_guided_form_refuses_them(services, engine):
    # The form's preview validates the whole figure under the record rules. (A range for the big
    # price: the price step writes a single price back with :g, "2e+06" from 2000000.)
    for price, unit, problem in (
        ("516", f"CNY/{TINY}", QUANTITY),
        ("1500000-2000000", "CNY/0.001 g", PER_BASE),
    ):
        services.forms.start(admin_id=OWNER, kind="price")
        for value in ("lingzhi", "hyesan", price, unit, "2024-11", "Daily NK"):
            services.forms.answer(admin_id=OWNER, value=value)
        with pytest.raises(DomainError, match=problem):
            for _ in range(10):  # skip the optional questions until the preview
                services.forms.answer(admin_id=OWNER, value="-")
    assert count(engine) == 0


def test_edit_refuses_them_and_keeps_the_figure(services, engine, catalogue):
    row = add_price(engine, catalogue, now=NOW, price="516", unit="0.001 g", currency="CNY")
    with pytest.raises(DomainError, match=QUANTITY):
        services.admin.edit(admin_id=OWNER, args=[str(row.id), "unit", *TINY.split()])
    with pytest.raises(DomainError, match=PER_BASE):
        services.admin.edit(admin_id=OWNER, args=[str(row.id), "price", "2000000"])
    with Session(engine) as session:
        kept = session.get(PriceObservation, row.id)
        assert (kept.unit, kept.price_high, kept.per_base_high) == ("0.001 g", 516, 516e6)
    # A sound figure is still editable: its stored unit reads back.
    services.admin.edit(admin_id=OWNER, args=[str(row.id), "price", "600"])


HEADER = "date,market,commodity,unit,pricetype,currency,price,source"


def test_a_csv_import_lists_every_such_row_and_stores_none(engine, catalogue):
    rows = (
        "2024-11,hyesan,lingzhi,kg,retail,CNY,516,Daily NK",
        f"2024-11,hyesan,lingzhi,{TINY},retail,CNY,516,Daily NK",
        "2024-11,hyesan,lingzhi,0.001 g,retail,CNY,2000000,Daily NK",
        # The same price and unit apart are fine: only together are they too much per kg.
        "2024-11,hyesan,lingzhi,0.001 g,retail,CNY,516,Daily NK",
        "2024-11,hyesan,lingzhi,kg,retail,CNY,2000000,Daily NK",
        "2024-11,hyesan,lingzhi,0.001 g,retail,CNY,2000000,RFA",
    )
    data = "\n".join((HEADER, *rows)) + "\n"
    result = import_prices(
        engine, catalogue, io.BytesIO(data.encode()), name="u.csv", entered_by=None, now=NOW
    )
    assert [error.line for error in result.errors] == [3, 4, 7]
    assert QUANTITY in result.errors[0].message
    assert PER_BASE in result.errors[1].message and "CNY per kg" in result.errors[1].message
    assert result.errors[1].message == result.errors[2].message
    assert count(engine) == 0

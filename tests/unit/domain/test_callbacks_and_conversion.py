"""Callback data, domain errors and currency conversion."""

from datetime import date

import pytest
from telegram.constants import InlineKeyboardButtonLimit

from bot.domain import callbacks
from bot.domain.dates import PartialDate
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.prices import Figure, Observation, Rate, convert
from bot.rendering.replies import MAX_CALLBACK_BYTES, Button


def test_callback_limit_matches_telegram():
    assert MAX_CALLBACK_BYTES == InlineKeyboardButtonLimit.MAX_CALLBACK_DATA


def test_callback_round_trip_and_size():
    data = callbacks.encode("p", 123456, 654321, date(2024, 3, 1), date(2024, 3, 31))
    assert len(data.encode()) <= 64
    cb = callbacks.decode(data)
    assert cb.kind == "p" and cb.int_at(0) == 123456 and cb.date_at(3) == date(2024, 3, 31)
    assert callbacks.decode(callbacks.encode("p", 5)).int_at(1) is None


@pytest.mark.parametrize(
    "data", ["", None, "zz:1", "p:abc", "p:1:2:20241399", "x" * 65, "p:" + "9" * 20]
)
def test_forged_callback_data_is_refused_politely(data):
    with pytest.raises(InvalidInput):
        cb = callbacks.decode(data)
        cb.int_at(0)
        cb.int_at(1)
        cb.date_at(2)


def test_buttons_cannot_carry_oversized_data():
    with pytest.raises(ValueError):
        Button("x", "p:" + "1" * 70)
    with pytest.raises(ValueError):
        callbacks.encode("c", "m", "1" * 70)


def test_domain_errors_escape_params_and_never_format_user_braces():
    error = NotFound("I don't know a commodity called “{text}”.", text="<b>{x}</b>")
    assert "&lt;b&gt;{x}&lt;/b&gt;" in error.to_html(
        __import__("bot.domain.i18n", fromlist=["ENGLISH"]).ENGLISH
    )
    plain = InvalidInput("“{oops}” is not a date")  # no params: braces kept as typed
    assert plain.user_message == "“{oops}” is not a date"


def observation(currency="KPW", low=9000.0, high=9000.0, observed="2024-05-12", url="https://a"):
    return Observation(
        id=1,
        commodity="rice",
        market="Hyesan",
        market_parent=None,
        figure=Figure(low, high, currency, "kg"),
        grade=None,
        price_type="retail",
        observed=PartialDate.parse(observed),
        reported_on=None,
        source_name="Daily NK",
        source_url=url,
        reliability=None,
        note=None,
    )


def rate(currency, kpw, observed="2024-05-10", url="https://b"):
    return Rate(currency, kpw, PartialDate.parse(observed), "Hyesan", url)


def test_won_price_converts_to_dollars_at_the_market_rate():
    result = convert(observation(), {"USD": rate("USD", 9000)}, "USD")
    assert result.figure.low == pytest.approx(1.0) and result.figure.currency == "USD"


def test_yuan_price_converts_through_won():
    result = convert(
        observation("CNY", 500, 1200), {"CNY": rate("CNY", 1200), "USD": rate("USD", 8400)}, "USD"
    )
    assert (
        result.figure.low == pytest.approx(500 * 1200 / 8400, rel=1e-3) and len(result.rates) == 2
    )


def test_rates_far_in_time_or_from_other_undated_reports_are_not_used():
    assert convert(observation(), {"USD": rate("USD", 9000, observed="2023-01-01")}, "USD") is None
    undated = observation(observed="", url="https://same")
    assert (
        convert(undated, {"USD": rate("USD", 8000, observed="", url="https://other")}, "USD")
        is None
    )
    assert (
        convert(undated, {"USD": rate("USD", 8000, observed="", url="https://same")}, "USD")
        is not None
    )

"""Properties of the shared price validator and the one-line entry, on generated input.

Rows and lines start plausible and then have a few parts replaced by junk, so that both the accepted
and the refused paths are exercised thousands of times (the events show the split with
`--hypothesis-show-statistics`).
"""

from __future__ import annotations

import math
import os
import re
from datetime import date
from functools import cache

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bot.domain.entry import draft_to_row, missing_fields, parse_price_entry, read_date
from bot.domain.errors import InvalidInput
from bot.domain.matching import Resolution, Resolver
from bot.domain.records import MAX_PRICE, PRICE_TYPES, PriceRecord, price_record_from_row
from bot.domain.units import CURRENCIES, Unit, parse_unit
from tests.support.catalogue import COMMODITIES, MARKETS

TODAY = date(2026, 11, 28)
# 4,000 generated cases per property in the suite (a minute of the suite went to 10,000);
# HYPOTHESIS_EXAMPLES=20000 for a deeper run.
EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "4000"))
MANY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JUNK = ("", "NaN", "inf", "-1", "0", "1e9", "¹²", "١٢٣", "　", "\u200b5", "5\n", "None", "1,2,3")
junk = st.one_of(
    st.sampled_from(JUNK),
    st.text(max_size=12),
    st.text(alphabet="0123456789,.-–~ eE+", max_size=12),
)
DASHES = ("-", "–", "—", "~", " - ", " to ", "〜", "～")
numbers = st.tuples(
    st.one_of(
        st.integers(min_value=1, max_value=10**6),
        st.integers(min_value=10**11, max_value=10**14),  # around MAX_PRICE
        st.floats(min_value=1e-9, max_value=1e6),
    ),
    st.sampled_from(("{}", "{:,}", "{:.2f}", "{:g}")),
).map(lambda pair: pair[1].format(pair[0]))
prices = st.one_of(numbers, st.tuples(numbers, st.sampled_from(DASHES), numbers).map("".join))
dates = st.tuples(
    # Mostly the past, some of it before 1900 or after today.
    st.dates(min_value=date(1880, 1, 1), max_value=date(2030, 12, 31)),
    st.sampled_from(("{:%Y-%m-%d}", "{:%Y-%m}", "{:%Y}", "{:%Y.%m}", "")),
).map(lambda pair: pair[1].format(pair[0]))
UNITS = ("kg", "600 g", "600g", "g", "jin", "근", "斤", "liter", "head", "piece", "pack", "m3")
UNITS += ("USD", "per USD", "per 100 CNY", "unspecified", "ton", "cbm", "Kg", "per kg")
units = st.one_of(
    st.sampled_from(UNITS),
    # Up to 30 digits: more overflow to an infinite quantity, a gap tested on its own below.
    st.tuples(st.integers(1, 10**30), st.sampled_from(("g", "kg", "CNY", "jin"))).map(
        lambda pair: f"{pair[0]} {pair[1]}"
    ),
)
RELIABILITY = st.tuples(st.sampled_from("ABCDEFGabcf"), st.sampled_from("0123456")).map("".join)
URLS = ("https://www.dailynk.com/x", "http://a.b/?q=1&r=2", "ftp://x", "https://", "www.x.org")
long_text = st.integers(min_value=100, max_value=2100).map(lambda n: "x" * n)
# Fields whose plausible values are few: one integer picks a combination, which is quicker to draw
# than one value per field.
CHOICES = {
    "commodity": ("lingzhi", "rice", " pork "),
    "market": ("hyesan", "Sinuiju"),
    "currency": (*CURRENCIES, "cny", " usd "),
    "source": ("Daily NK", " RFA ", "데일리NK"),
    "price_low": ("",),
    "price_high": ("",),
    "pricetype": (*PRICE_TYPES, "", "Retail", "state purchase"),
    "grade": ("", "good quality", "상품", "<b>"),
    "note": ("", "seed", "price in 2024 & before"),
    "source_url": ("", *URLS),
}


def _choose(index: int) -> dict[str, str]:
    row = {}
    for name, values in CHOICES.items():
        index, pick = divmod(index, len(values))
        row[name] = values[pick]
    return row


FIELDS = {
    "price": prices,
    "unit": units,
    "date": dates,
    "reported_date": dates,
    "reliability": st.one_of(st.just(""), RELIABILITY),
}
# Junk that only some fields can receive: too long for a text field, low/high given apart.
SPECIAL = {
    "source": long_text,
    "grade": long_text,
    "note": long_text,
    "price_low": prices,
    "price_high": prices,
    "price": st.sampled_from(("9" * 400, "0.0", "-500", "500-", "-", "1.2.3")),
    "unit": st.sampled_from(("bag", "per", "0 kg", "per 0 g", "")),
    "source_url": st.text(max_size=600).map(lambda s: "https://" + s),
}
rows = st.tuples(
    st.integers(0, math.prod(map(len, CHOICES.values())) - 1).map(_choose),
    st.fixed_dictionaries(FIELDS),
    st.dictionaries(st.sampled_from(sorted({*CHOICES, *FIELDS})), junk, max_size=2),
    st.one_of(st.just({}), *(values.map(lambda v, k=k: {k: v}) for k, values in SPECIAL.items())),
).map(lambda parts: {k: v for part in parts for k, v in part.items()})


def assert_valid(record: PriceRecord) -> None:
    assert 0 < record.low <= record.high <= MAX_PRICE
    assert record.currency in CURRENCIES
    assert record.price_type in PRICE_TYPES
    assert record.reliability is None or re.fullmatch(r"[A-F][1-6]", record.reliability)
    assert record.observed.value is None or record.observed.value <= TODAY
    assert record.reported_on is None or record.reported_on <= TODAY
    assert isinstance(record.unit, Unit) and record.unit.text
    assert record.unit.quantity > 0 and math.isfinite(record.unit.quantity)
    assert record.commodity and record.market and record.source_name
    assert record.source_name == record.source_name.strip()
    assert record.source_url is None or record.source_url.startswith(("http://", "https://"))
    assert len(record.grade or "") <= 120 and len(record.note or "") <= 2000


# Ten thousand examples took about a minute alone; four thousand, some 20 s.
@pytest.mark.timeout(600)
@MANY
@given(rows)
def test_the_validator_returns_a_valid_record_or_raises_invalid_input(row):
    try:
        record = price_record_from_row(row, today=TODAY)
    except InvalidInput as error:
        assert str(error)
        event("refused")
        return
    event("accepted")
    assert_valid(record)


def test_a_unit_quantity_too_large_for_a_float_is_refused():
    with pytest.raises(InvalidInput):
        parse_unit("9" * 400 + " kg")


class Remembering(Resolver):
    """The catalogue's resolver keeping its answers: they are pure, and they take most of the time."""

    def __init__(self, resolver: Resolver) -> None:
        self.__dict__.update(resolver.__dict__)

    @cache  # noqa: B019 - two module-level instances, kept for the session
    def resolve(self, text: str, *, limit: int = 5) -> Resolution:
        return super().resolve(text, limit=limit)


COMMODITY_RESOLVER, MARKET_RESOLVER = Remembering(COMMODITIES), Remembering(MARKETS)


def _names(resolver) -> list[str]:
    return sorted({name.text for entry in resolver.entries for name in entry.names})


CURRENCY_WORDS = ("CNY", "KPW", "USD", "cny", "원", "元", "위안", "$", "달러", "won", "EUR")
# Mostly with a unit; an empty separator leaves the bare currency, and the unit to be asked.
currency_units = st.tuples(
    st.sampled_from(CURRENCY_WORDS), st.sampled_from(("/", " per ", " ", "/", "")), units
).map(lambda parts: "".join(parts) if parts[1] else parts[0])
LINE_DATES = ("", "Nov 2024", "3 November 2024", "2024년 11월", "today", "on:yesterday")
OPTIONS = (  # (field, option): a line holds each field once
    ("grade", 'grade:"good quality"'),
    ("grade", "grade=“top”"),
    ("rel", "rel:B2"),
    ("rel", "REL:b7"),
    ("type", "type:wholesale"),
    ("type", "pricetype:state purchase"),
    ("note", "note:‘seed report’"),
    ("url", "url:https://www.dailynk.com/x"),
    ("reported", "published:2024-12-02"),
    ("reported", "reported:2031-01-01"),
)
QUOTES = ('"', "“", "”", "‘", "’", "'", "«")
# Lines an admin would type: names, a price, a currency and unit, perhaps a date and options.
typical = st.tuples(
    st.sampled_from(_names(COMMODITIES)),
    st.sampled_from(_names(MARKETS)),
    prices,
    currency_units,
    st.one_of(st.sampled_from(LINE_DATES), dates),
    st.lists(st.sampled_from(OPTIONS), max_size=3, unique_by=lambda o: o[0]).map(
        lambda options: " ".join(text for _field, text in options)
    ),
    st.sampled_from(("source:RFA", 'source:"Daily NK"', "src: ASIAPRESS")),
).map(list)
# Then some of its words are replaced or joined by junk, quotes, unknown options and numbers.
noise = st.one_of(
    junk,
    st.text(max_size=8),
    st.sampled_from((*QUOTES, "foo:bar", "source:", "per", "to", "-", "2024-11", "https://x.y")),
    prices,
)


@pytest.mark.timeout(600)
@MANY
@given(typical, st.lists(st.tuples(st.integers(0, 7), noise), max_size=3))
def test_an_entry_line_never_breaks_the_reader_or_the_validator(words, edits):
    for position, word in edits:
        if position % 2:
            words.insert(position, word)
        else:
            words[position % len(words)] = word
    line = " ".join(words)
    draft = parse_price_entry(
        line, commodities=COMMODITY_RESOLVER, markets=MARKET_RESOLVER, today=TODAY
    )
    assert all(isinstance(p, str) and p for p in draft.problems)
    # An untouched line is read without problems, unless its price could be a date (1999-5 is not
    # a backwards range) or is written as 1e-09.
    if not edits and "e" not in words[2] and read_date(words[2]) is None:
        assert draft.problems == (), (line, draft.problems)
    assert draft.currency is None or draft.currency in CURRENCIES
    if draft.problems or missing_fields(draft):
        event("problems" if draft.problems else "incomplete draft")
        return
    row = draft_to_row(
        draft,
        commodity_slug=_slug(draft.commodity, draft.commodity_text),
        market_slug=_slug(draft.market, draft.market_text),
    )
    try:
        record = price_record_from_row(row, today=TODAY)
    except InvalidInput:
        event("complete draft refused by the validator")
        return
    event("complete draft accepted")
    assert_valid(record)


def _slug(resolution, text: str | None) -> str:
    if resolution is not None and resolution.match is not None:
        return resolution.match.entry.slug
    return text or "unknown"

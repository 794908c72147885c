"""The one-line price entry of /addprice, read against the real catalogue."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass, field
from datetime import date
from typing import Any

import pytest

from bot.domain.entry import (
    PriceDraft,
    draft_to_row,
    missing_fields,
    parse_price_entry,
    read_date,
)
from bot.domain.errors import InvalidInput
from bot.domain.matching import Resolver
from bot.domain.records import price_record_from_row
from bot.rendering.preview import render_preview
from tests.support.catalogue import COMMODITIES, MARKETS

TODAY = date(2026, 11, 28)
ISSUE_LINE = (
    'lingzhi hyesan 500-1200 CNY/kg 2024-11 grade:"good quality" source:"Daily NK" '
    "url:https://www.dailynk.com/english/state-sanction-smuggling/ rel:B2"
)


def parse(text: str) -> PriceDraft:
    return parse_price_entry(text, commodities=COMMODITIES, markets=MARKETS, today=TODAY)


class _CountedIndex(dict):
    """The resolver's exact-name index, counting its reads (contained_names reads it directly)."""

    def __init__(self, data: dict, counter: Counting) -> None:
        super().__init__(data)
        self.counter = counter

    def get(self, key: Any, default: Any = None) -> Any:
        self.counter.lookups += 1
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.counter.lookups += 1
        return super().__getitem__(key)


class Counting(Resolver):
    """A catalogue resolver counting its lookups: the searching a line costs, without a clock."""

    def __init__(self, resolver: Resolver) -> None:
        self.__dict__.update(resolver.__dict__)
        # Its own empty memo: every line is read the first time, whatever ran before it.
        self._memo = {}
        self.lookups = 0
        self._exact = _CountedIndex(resolver._exact, self)

    def exact(self, text: str) -> list:
        self.lookups += 1
        return super().exact(text)

    def resolve(self, text: str, *, limit: int = 5) -> Any:
        self.lookups += 1
        return super().resolve(text, limit=limit)

    def rank(self, text: str, *, limit: int = 5) -> list:
        self.lookups += 1
        return super().rank(text, limit=limit)

    def _search(self, query: str, limit: int) -> Any:
        self.lookups += 1
        return super()._search(query, limit)


def parse_counting(text: str) -> tuple[PriceDraft, int]:
    """Parse `text`; return the draft and how many lookups the two resolvers made for it."""
    commodities, markets = Counting(COMMODITIES), Counting(MARKETS)
    draft = parse_price_entry(text, commodities=commodities, markets=markets, today=TODAY)
    return draft, commodities.lookups + markets.lookups


def slugs(draft: PriceDraft) -> tuple[str | None, str | None]:
    commodity = draft.commodity.match.entry.slug if draft.commodity.match else None
    market = draft.market.match.entry.slug if draft.market and draft.market.match else None
    return commodity, market


@dataclass(frozen=True)
class Case:
    line: str
    commodity: str | None = "lingzhi"
    market: str | None = "hyesan"
    problem: str | None = None  # a part of the one problem expected; None: no problem at all
    fields: dict[str, str | None] = field(default_factory=dict)


def case(line: str, problem: str | None = None, **fields: str | None) -> Case:
    commodity = fields.pop("commodity", "lingzhi")
    market = fields.pop("market", "hyesan")
    return Case(line, commodity, market, problem, fields)


CASES = {
    "the issue's example": case(
        ISSUE_LINE,
        price="500-1200",
        currency="CNY",
        unit="kg",
        date="2024-11",
        grade="good quality",
        source="Daily NK",
        url="https://www.dailynk.com/english/state-sanction-smuggling/",
        reliability="B2",
    ),
    # Names in three languages and several words
    "korean names, won glued on": case(
        "쌀 혜산 5000원/kg", commodity="rice", price="5000", currency="KPW", unit="kg"
    ),
    "korean with 원 apart": case("영지버섯 혜산 600 위안 per kg", currency="CNY", unit="kg"),
    "chinese names": case("灵芝 惠山 500~1200 元/斤", price="500-1200", currency="CNY", unit="斤"),
    "chinese written together": case("惠山灵芝 500 元/斤", currency="CNY", unit="斤"),
    "several words with brackets": case(
        "rice (white) sinuiju 8,130 KPW/kg", commodity="rice", market="sinuiju", price="8,130"
    ),
    "market before commodity": case("hyesan lingzhi 500 CNY/kg", names="hyesan lingzhi"),
    "a place name with a digit": case(
        "rice 3-city average 5,000 KPW/kg", commodity="rice", market="three-city-average"
    ),
    "an apostrophe in a name": case("namp'o rice 500 KPW/kg", commodity="rice", market="nampo"),
    "emoji beside the names": case("🍄 lingzhi hyesan 500 CNY/kg grade:🍄top", grade="🍄top"),
    "only the commodity": case("lingzhi 500 CNY/kg", market=None, market_text=None),
    "only the market": case("hyesan 500 CNY/kg", commodity=None, commodity_text=None),
    # Quotes and options
    "curly double quotes": case(
        "lingzhi hyesan 500 CNY/kg grade:“good quality”", grade="good quality"
    ),
    "curly single quotes": case("lingzhi hyesan 500 CNY/kg source:‘Daily NK’", source="Daily NK"),
    "an apostrophe inside single quotes": case(
        "lingzhi hyesan 500 CNY/kg source:‘people’s daily’", source="people’s daily"
    ),
    "straight single quotes": case(
        "lingzhi hyesan 500 CNY/kg grade:'top grade'", grade="top grade"
    ),
    "key=value": case('lingzhi hyesan 500 CNY/kg source="Daily NK" rel=B2', reliability="B2"),
    "keys in capitals and aliases": case(
        "lingzhi hyesan 500 CNY/kg SRC:RFA link:https://rfa.org/x Reliability:c3 pricetype:export",
        source="RFA",
        url="https://rfa.org/x",
        reliability="c3",
        price_type="export",
    ),
    "korean keys": case(
        "lingzhi hyesan 500 CNY/kg 출처:데일리NK 등급:상품", source="데일리NK", grade="상품"
    ),
    "unquoted words continue a text option": case(
        "lingzhi hyesan 500 CNY/kg source:Daily NK note:bought in bulk rel:B2",
        source="Daily NK",
        note="bought in bulk",
        reliability="B2",
    ),
    "an unquoted price type": case(
        "lingzhi hyesan 500 CNY/kg type:state purchase", price_type="state purchase"
    ),
    "a space after the colon": case("lingzhi hyesan 500 CNY/kg source: RFA", source="RFA"),
    "a bare web address": case(
        "lingzhi hyesan 500 CNY/kg https://x.org/a?b=1", url="https://x.org/a?b=1"
    ),
    "published date": case("lingzhi hyesan 500 CNY/kg published:2024-12-02", reported="2024-12-02"),
    # Price ranges in each notation
    "hyphen range": case("lingzhi hyesan 500-1200 CNY/kg", price="500-1200"),
    "en dash and thousands": case("lingzhi hyesan 500–1,200 CNY/kg", price="500-1,200"),
    "em dash": case("lingzhi hyesan 500—1200 CNY/kg", price="500-1200"),
    "tilde": case("lingzhi hyesan 500~1200 CNY/kg", price="500-1200"),
    "spaced dash": case("lingzhi hyesan 500 - 1,200 CNY/kg", price="500-1,200"),
    "to": case("lingzhi hyesan 500 to 1200 CNY/kg", price="500-1200"),
    "full-width digits": case("lingzhi hyesan ５００～１２００ CNY/kg", price="500-1200"),
    "decimal price": case("lingzhi hyesan 2000.5 CNY/kg", price="2000.5"),
    "a decimal that is no month": case("lingzhi hyesan 1999.50 CNY/kg", price="1999.50", date=None),
    # Currency and unit notations
    "currency/unit": case("lingzhi hyesan 500 CNY/kg", currency="CNY", unit="kg"),
    "unit with quantity": case("lingzhi hyesan 50 KPW/600g", currency="KPW", unit="600g"),
    "per": case("lingzhi hyesan 50 CNY per jin", currency="CNY", unit="jin"),
    "per with a spaced quantity": case("lingzhi hyesan 50 CNY per 600 g", unit="600 g"),
    "currency then unit": case("lingzhi hyesan 50 CNY kg", currency="CNY", unit="kg"),
    "원/kg": case("lingzhi hyesan 5000 원/kg", currency="KPW", unit="kg"),
    "dollar sign glued": case("lingzhi hyesan $50/600g", currency="USD", unit="600g", price="50"),
    "달러": case("lingzhi hyesan 50 달러/kg", currency="USD"),
    "lowercase code": case("lingzhi hyesan 50 cny/kg", currency="CNY"),
    "bare currency leaves the unit to ask": case(
        "lingzhi hyesan 500 CNY", currency="CNY", unit=None
    ),
    "unit without currency": case("lingzhi hyesan 500/kg", currency=None, unit="kg"),
    "exchange rate": case(
        "usd hyesan 8,130 KPW per USD", commodity="us-dollar", currency="KPW", unit="USD"
    ),
    "rate per hundred": case(
        "cny hyesan 1,150 KPW/100 CNY", commodity="chinese-yuan", unit="100 CNY"
    ),
    "an unknown unit after a slash is kept for the validator": case(
        "lingzhi hyesan 500 CNY/bag", unit="bag"
    ),
    # Dates
    "year": case("lingzhi hyesan 500 CNY/kg 2024", date="2024"),
    "day": case("lingzhi hyesan 500 CNY/kg 2024-11-03", date="2024-11-03"),
    "dotted month": case("lingzhi hyesan 500 CNY/kg 2024.11", date="2024-11"),
    "month name": case("lingzhi hyesan 500 CNY/kg Nov 2024", date="2024-11"),
    "day month year": case("lingzhi hyesan 500 CNY/kg 3 November 2024", date="2024-11-03"),
    "korean date": case("lingzhi hyesan 500 CNY/kg 2024년 11월", date="2024-11"),
    "date before the price": case("lingzhi hyesan 2024-11 500 CNY/kg", date="2024-11"),
    "date option": case("lingzhi hyesan 500 CNY/kg on:yesterday", date="2026-11-27"),
    "today after the unit": case("lingzhi hyesan 500 CNY/kg today", date="2026-11-28"),
    "an impossible date is kept for the validator": case(
        "lingzhi hyesan 500 CNY/kg 2024-13", date="2024-13"
    ),
    # Problems
    "missing price": case("lingzhi hyesan source:x", "No price found", price=None),
    "unknown option": case("lingzhi hyesan 500 CNY/kg foo:bar", "Unknown option “foo:”"),
    "unclosed quote": case('lingzhi hyesan 500 CNY/kg grade:"good', 'The quote " before “good”'),
    "unclosed curly quote": case("lingzhi hyesan 500 CNY/kg source:“Daily NK", "never closed"),
    "two prices": case("lingzhi hyesan 500 600 CNY/kg", "Two prices: “500” and “600”"),
    "two dates": case("lingzhi hyesan 500 CNY/kg 2024-11 date:2024-10", "date is given twice"),
    "an option twice": case("lingzhi hyesan 500 CNY/kg src:a source:b", "source is given twice"),
    "an option without value": case("lingzhi hyesan 500 CNY/kg source:", "has no value"),
    "two currencies": case("lingzhi hyesan $500 CNY/kg", "Two currencies"),
    "negative price": case("lingzhi hyesan -500 CNY/kg", "below zero"),
    "words the reader cannot place": case(
        "lingzhi hyesan 500 CNY/kg bag of herbs", "I could not read “bag of herbs”"
    ),
    # A number among the names: the first number is the price, so a name that is a number is
    # quoted; unquoted, the second number is reported instead of being silently dropped.
    "a number as a name": case("corn 2024 500 KPW/kg", "Two prices", commodity="corn", market=None),
    "a quoted number is a name": case(
        'corn "2024" 500 KPW/kg', commodity=None, market=None, names="corn 2024", price="500"
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_entry_lines(name):
    expected = CASES[name]
    draft = parse(expected.line)
    if expected.problem is None:
        assert draft.problems == (), draft.problems
    else:
        assert len(draft.problems) == 1 and expected.problem in draft.problems[0], draft.problems
    assert slugs(draft) == (expected.commodity, expected.market), draft
    for attr, value in expected.fields.items():
        assert getattr(draft, attr) == value, (attr, draft)


def test_the_issue_line_round_trips_into_a_record():
    draft = parse(ISSUE_LINE)
    assert missing_fields(draft) == []
    record = price_record_from_row(
        draft_to_row(draft, commodity_slug="lingzhi", market_slug="hyesan"), today=TODAY
    )
    assert (record.low, record.high, record.currency, record.unit.text) == (500, 1200, "CNY", "kg")
    assert record.observed.iso() == "2024-11" and record.observed.precision == "month"
    assert (record.grade, record.source_name, record.reliability) == (
        "good quality",
        "Daily NK",
        "B2",
    )
    assert record.price_type == "retail" and record.note is None


def test_a_backwards_range_is_a_valid_draft_that_the_validator_refuses():
    draft = parse("lingzhi hyesan 1200-500 CNY/kg source:x")
    assert draft.problems == () and draft.price == "1200-500" and missing_fields(draft) == []
    row = draft_to_row(draft, commodity_slug="lingzhi", market_slug="hyesan")
    with pytest.raises(InvalidInput, match="backwards"):
        price_record_from_row(row, today=TODAY)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("lingzhi hyesan 500 CNY/bag source:x", "not a unit"),
        ("lingzhi hyesan 500 CNY/kg 2024-13 source:x", "not a real calendar date"),
        ("lingzhi hyesan 500 CNY/kg 2031-01 source:x", "in the future"),
        ("lingzhi hyesan 500 CNY/kg rel:Z9 source:x", "reliability grade"),
        ("lingzhi hyesan 500 CNY/kg url:ftp://x source:x", "web address"),
        ("lingzhi hyesan 500 CNY/kg type:smuggled source:x", "price type"),
        ("lingzhi hyesan 0 CNY/kg source:x", "above zero"),
    ],
)
def test_what_the_reader_keeps_raw_the_shared_validator_refuses(line, message):
    draft = parse(line)
    assert draft.problems == ()
    with pytest.raises(InvalidInput, match=message):
        price_record_from_row(
            draft_to_row(draft, commodity_slug="lingzhi", market_slug="hyesan"), today=TODAY
        )


def test_missing_fields_are_listed_in_asking_order():
    everything = ["commodity", "market", "price", "currency", "unit", "source"]
    assert missing_fields(parse("")) == everything
    assert missing_fields(parse("lingzhi 500 CNY")) == ["market", "unit", "source"]
    assert missing_fields(parse("hyesan 500/kg source:x")) == ["commodity", "currency"]


def test_an_empty_line_has_no_problems_so_the_guided_entry_can_start():
    draft = parse("   ")
    assert draft.problems == () and draft.names == "" and draft.market is None


def test_the_row_has_the_csv_columns_and_defaults_to_retail():
    draft = parse("lingzhi hyesan 500 CNY/kg source:x")
    row = draft_to_row(draft, commodity_slug="lingzhi", market_slug="hyesan")
    filled = {"commodity": "lingzhi", "market": "hyesan", "price": "500", "currency": "CNY"}
    filled |= {"unit": "kg", "source": "x", "pricetype": "retail"}
    empty = ("date", "grade", "source_url", "reliability", "note", "reported_date")
    assert row == filled | dict.fromkeys(empty, "")


def test_a_long_note_costs_no_lookups_and_is_refused_by_the_validator():
    # How long parsing such a line takes is measured by `python -m bench entry`.
    line = "lingzhi hyesan 500 CNY/kg source:x note:" + "word " * 790
    assert len(line) > 3900
    draft, lookups = parse_counting(line)
    _, short_lookups = parse_counting("lingzhi hyesan 500 CNY/kg source:x note:word")
    assert 0 < lookups == short_lookups  # the names are looked up; the note's words are not
    assert draft.problems == () and len(draft.note or "") > 2000
    with pytest.raises(InvalidInput, match="limit is 2,000"):
        price_record_from_row(
            draft_to_row(draft, commodity_slug="lingzhi", market_slug="hyesan"), today=TODAY
        )


def test_a_long_run_of_names_is_a_problem_not_a_slow_search():
    # How long parsing such a line takes is measured by `python -m bench entry`.
    draft, lookups = parse_counting("lingzhi " * 500 + "500 CNY/kg")
    assert lookups == 0  # refused before any search
    assert any("too long" in p for p in draft.problems)
    assert missing_fields(draft)[:2] == ["commodity", "market"]


def test_the_draft_is_frozen():
    with pytest.raises(FrozenInstanceError):
        parse(ISSUE_LINE).price = "1"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024", "2024"),
        ("2024-1", "2024-01"),
        ("2024/11/3", "2024-11-03"),
        ("Sept 2024", "2024-09"),
        ("Nov. 3, 2024", "2024-11-03"),
        ("2024年11月3日", "2024-11-03"),
        ("today", None),  # only with `today`
        ("next week", None),
        ("Smarch 2024", None),
    ],
)
def test_read_date(text, expected):
    assert read_date(text) == expected


def _record(line: str):
    draft = parse(line)
    assert draft.problems == ()
    return price_record_from_row(
        draft_to_row(draft, commodity_slug="lingzhi", market_slug="hyesan"), today=TODAY
    )


def test_the_preview_shows_every_field_as_stored():
    record = _record(
        ISSUE_LINE.replace("2024-11", "3 Nov 2024")
        + " type:wholesale note:“seed report” published:2024-12-02"
    )
    preview = render_preview(record, commodity="Lingzhi", market="Hyesan")
    for part in (
        "Commodity: <b>Lingzhi</b>",
        "Market: <b>Hyesan</b>",
        "Price: <b>500-1,200 CNY/kg</b> (range as reported)",
        "Date: 3 Nov 2024 (exact day)",
        "Reported: 2 Dec 2024",
        "Price type: wholesale",
        "Grade: good quality",
        'Source: <a href="https://www.dailynk.com/english/state-sanction-smuggling/">Daily NK</a>',
        "Address: https://www.dailynk.com/english/state-sanction-smuggling/",
        "Reliability: B2",
        "Note: seed report",
    ):
        assert part in preview, preview


def test_the_preview_names_what_is_not_stated_and_converts_the_unit():
    record = _record("lingzhi hyesan 50 CNY/600g source:RFA")
    preview = render_preview(record, commodity="Lingzhi", market="Hyesan")
    for part in (
        "Price: <b>50 CNY per 600 g</b>\n",
        "Unit: 600 g = 0.6 kg",
        "Date: not stated",
        "Reported: not stated",
        "Price type: retail",
        "Grade: not stated",
        "Source: RFA\n",
        "Reliability: not graded",
        "Note: none",
    ):
        assert part in preview, preview
    assert "Address" not in preview


def test_the_preview_escapes_everything_the_admin_typed():
    record = _record(
        'lingzhi hyesan 500 CNY/kg grade:"<b>top</b> & co" source:"<i>x</i>" '
        'note:"<script>" url:https://x.org/?a=1&b=<2>'
    )
    preview = render_preview(record, commodity="<Lingzhi>", market="Hy&san")
    assert "Grade: &lt;b&gt;top&lt;/b&gt; &amp; co" in preview
    assert "&lt;i&gt;x&lt;/i&gt;" in preview and "Note: &lt;script&gt;" in preview
    assert "<b>&lt;Lingzhi&gt;</b>" in preview and "Hy&amp;san" in preview
    assert 'href="https://x.org/?a=1&amp;b=&lt;2&gt;"' in preview
    assert "Unit" not in preview  # kg is its own base
    for tag in ("<script>", "<i>", "<b>top", "<2>"):
        assert tag not in preview

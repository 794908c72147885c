"""The intent layer: cues found and cut in three languages, names never cut."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.intent import Ask, read_intent
from bot.domain.matching import Entry, Name, Resolver
from bot.domain.query import parse_query
from tests.support.catalogue import COMMODITIES, MARKETS

TODAY = date(2026, 11, 28)


def _parse(text, commodities=COMMODITIES, markets=MARKETS):
    return parse_query(text, commodities=commodities, markets=markets, today=TODAY)


@pytest.mark.parametrize(
    ("text", "ask"),
    [
        ("rice trend", Ask.TREND),
        ("chart of the dollar rate in pyongyang", Ask.TREND),
        ("쌀값 그래프", Ask.TREND),
        ("大米走势", Ask.TREND),
        ("compare rice", Ask.COMPARE),
        ("쌀값 비교해줘", Ask.COMPARE),
        ("大米比较", Ask.COMPARE),
        ("where is corn cheapest", Ask.CHEAPEST),
        ("옥수수 제일 싼 곳", Ask.CHEAPEST),
        ("玉米最便宜", Ask.CHEAPEST),
        ("most expensive corn", Ask.DEAREST),
        ("옥수수 가장 비싼 곳은", Ask.DEAREST),
        ("玉米最贵", Ask.DEAREST),
        ("has corn gone up", Ask.CHANGE),
        ("옥수수 올랐어요?", Ask.CHANGE),
        ("玉米涨了多少", Ask.CHANGE),
        ("rice hyesan", Ask.PRICE),
    ],
)
def test_cues_in_three_languages(text, ask):
    intent = read_intent(text)
    assert intent.ask is ask
    assert not set(intent.cues) & set(intent.rest.split())


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("rice in dollars", "USD"),
        ("rice in rmb", "CNY"),
        ("쌀 달러로", "USD"),
        ("大米人民币", "CNY"),
    ],
)
def test_currency_cues(text, currency):
    assert read_intent(text).currency == currency


def test_a_cue_word_that_is_a_name_is_kept():
    chart = Entry(1, "chart", "Chart", (Name("chart", "en"),))
    commodities = Resolver([*COMMODITIES.entries, chart])
    parsed = _parse("chart hyesan", commodities=commodities)
    assert parsed.commodity.match is not None and parsed.commodity.match.entry.slug == "chart"
    assert parsed.asks is Ask.PRICE


def test_a_place_name_holding_a_topic_word_stays_a_place():
    parsed = _parse("rice northern border average")
    assert parsed.market is not None and parsed.market.match.entry.slug == "northern-border-average"
    assert parsed.asks is Ask.PRICE


def test_a_slip_of_a_name_is_not_read_as_a_cue():
    # "corm" is a slip of corn, never a slip of "chart"; "cheapset" is a slip of "cheapest".
    assert _parse("corm").commodity.match.entry.slug == "corn"
    parsed = _parse("cheapset corn")
    assert parsed.asks is Ask.CHEAPEST and parsed.commodity.match.entry.slug == "corn"


def test_unknown_words_keep_the_did_you_mean():
    parsed = _parse("rice trend flibbertigibbet")
    assert parsed.commodity.match is None  # the odd word is not dropped to make a match


def test_several_places_and_connectors():
    for text in ("rice pyongyang vs sinuiju", "평양과 신의주 쌀값 비교", "平壤和新义州大米比较"):
        parsed = _parse(text)
        slugs = [p.match.entry.slug for _t, p in parsed.places]
        assert slugs == ["pyongyang", "sinuiju"], text
        assert parsed.asks is Ask.COMPARE


def test_time_words_apply_to_every_intent():
    assert _parse("rice trend since 2020").period.start == date(2020, 1, 1)
    assert _parse("쌀값 추이 2020년 이후").period.start == date(2020, 1, 1)
    assert _parse("大米去年以来走势").period.start == date(2025, 1, 1)
    between = _parse("compare rice between 2019 and 2023").period
    assert (between.start, between.end) == (date(2019, 1, 1), date(2023, 12, 31))
    assert _parse("corn change over the last year").period.start == date(2025, 11, 29)


def test_conditions_and_chatter():
    border = _parse("is the border open in sinuiju?")
    assert border.asks is Ask.CONDITIONS and border.intent.topics == ("border",)
    assert border.market.match.entry.slug == "sinuiju"
    assert _parse("혜산 밀수").intent.topics == ("smuggling",)
    assert _parse("惠山走私").intent.topics == ("smuggling",)
    assert _parse("hello").asks is Ask.OFF_TOPIC
    # A greeting before a real question does not hide it.
    assert _parse("hi, rice hyesan?").asks is Ask.PRICE


def test_names_only_for_entries():
    parsed = parse_query("rice trend", commodities=COMMODITIES, markets=MARKETS, intents=False)
    assert parsed.commodity.match is None and parsed.asks is Ask.PRICE

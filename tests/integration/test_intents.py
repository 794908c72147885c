"""Questions as people ask them, answered on a real database: each intent gets its own view."""

from __future__ import annotations

import pytest

from bot.domain import callbacks
from bot.domain.errors import InvalidInput
from bot.rendering.html import MAX_TEXT
from bot.services import asking
from tests.support.clock import NOW
from tests.support.factories import add_price, add_rate

TODAY = NOW.date()


def _ask(engine, catalogue, text, **kw):
    return asking.ask(engine, catalogue, text, today=TODAY, lang=kw.pop("lang", "en"), **kw)


@pytest.fixture
def three_markets(engine, catalogue):
    """Rice in three cities in the same month, and a dollar rate in Hyesan."""
    for market, price in (("hyesan", "9000"), ("pyongyang", "8000"), ("sinuiju", "8500")):
        add_price(engine, catalogue, now=NOW, market=market, date="2026-10-10", price=price)
    add_rate(engine, catalogue, now=NOW, date="2026-10-05", price="9000")


def test_cheapest_names_the_market_first_and_sorts_the_table(engine, catalogue, three_markets):
    text = _ask(engine, catalogue, "where is rice cheapest?").text
    first, _, table = text.partition("\n")
    assert "Cheapest: Pyongyang, 8,000 KPW/kg" in first
    rows = [line for line in table.split("\n") if "KPW" not in line and "," in line]
    order = [m for line in rows for m in ("Pyongyang", "Sinuiju", "Hyesan") if m in line]
    assert order[:3] == ["Pyongyang", "Sinuiju", "Hyesan"]
    assert "▼ Pyongyang" in text and "▲ Hyesan" in text


def test_dearest_in_korean_and_chinese(engine, catalogue, three_markets):
    for question in ("가장 비싼 쌀", "大米最贵的地方", "which market has the most expensive rice"):
        text = _ask(engine, catalogue, question).text
        assert text.startswith("<b>Dearest: Hyesan, 9,000 KPW/kg"), (question, text)


def test_a_comparison_shows_only_the_markets_named(engine, catalogue, three_markets):
    for question in ("rice pyongyang vs sinuiju", "compare rice prices in pyongyang and sinuiju"):
        text = _ask(engine, catalogue, question).text
        assert "Pyongyang" in text and "Sinuiju" in text, question
        assert "Hyesan" not in text, question
    everywhere = _ask(engine, catalogue, "rice in all cities").text
    assert all(m in everywhere for m in ("Pyongyang", "Sinuiju", "Hyesan"))


def test_compare_command_takes_market_names(engine, catalogue, three_markets):
    text = _ask(engine, catalogue, "rice hyesan pyongyang", force=asking.Ask.COMPARE).text
    assert "markets compared" in text and "Sinuiju" not in text
    assert "Hyesan is 12% above Pyongyang" in text


def test_change_shows_start_and_now_with_the_move(engine, catalogue):
    add_price(engine, catalogue, now=NOW, date="2020-01-20", price="4000")
    add_price(engine, catalogue, now=NOW, date="2023-06-01", price="6000")
    add_price(engine, catalogue, now=NOW, date="2026-10-01", price="9000")
    text = _ask(engine, catalogue, "how much did rice rise in hyesan since 2020?").text
    assert "4,000 → 9,000 KPW/kg" in text
    assert "+125%" in text and "+5,000 KPW/kg" in text and "severe" in text
    assert "from 20 Jan 2020" in text
    # No figure near the start of the past year: the nearest one is used, and said so.
    text = _ask(engine, catalogue, "rice hyesan change over the last year").text
    assert "6,000 → 9,000 KPW/kg" in text
    assert "nearest figure to 2025-11-29 is from 1 Jun 2023" in text
    # Nothing in the period at all: said so, with the latest date, not invented.
    text = _ask(engine, catalogue, "rice hyesan change in 2019").text
    assert "Not enough dated figures" in text


def test_change_with_a_far_start_says_which_figure_it_used(engine, catalogue):
    add_price(engine, catalogue, now=NOW, date="2021-07-01", price="5000")
    add_price(engine, catalogue, now=NOW, date="2026-10-01", price="4500")
    text = _ask(engine, catalogue, "rice hyesan 2020년 이후 변동폭").text
    assert "▼ -10%" in text and "nearest figure to 2020-01-01 is from 1 Jul 2021" in text


def test_a_currency_asked_converts_at_the_market_rate(engine, catalogue, three_markets):
    text = _ask(engine, catalogue, "rice hyesan in dollars").text
    assert "≈ 1 USD/kg (converted at market rates: 9,000 KPW per USD, Hyesan, 5 Oct 2026)" in text
    assert "In USD at the same market's exchange rate" in text
    # Pyongyang has no rate of its own nor one above it: said, not guessed.
    text = _ask(engine, catalogue, "how much is rice in pyongyang in usd").text
    assert "No market rate to put these in USD: Pyongyang." in text


def test_a_stale_rate_is_used_only_when_asked_and_labelled(engine, catalogue):
    add_price(engine, catalogue, now=NOW, date="2026-10-01", price="9000")
    add_rate(engine, catalogue, now=NOW, date="2025-01-01", price="8000")
    assert "≈" not in _ask(engine, catalogue, "rice hyesan").text
    text = _ask(engine, catalogue, "쌀 혜산 달러로").text
    assert "1.12 USD/kg" in text and "not rates of the figure's date" in text


def test_the_currency_alone_is_the_good(engine, catalogue, three_markets):
    text = _ask(engine, catalogue, "美元").text
    assert "9,000 KPW per USD" in text


def test_trend_words_reach_the_chart(engine, catalogue):
    for day, price in (("2026-01-10", "7000"), ("2026-04-10", "8000"), ("2026-07-10", "8600")):
        add_price(engine, catalogue, now=NOW, date=day, price=price)
    for question in ("rice price history", "graph rice hyesan", "혜산 쌀값 추이", "惠山大米走势"):
        reply = _ask(engine, catalogue, question)
        assert reply.chart is not None and len(reply.chart.series[0].points) == 3, question
    table = _ask(engine, catalogue, "rice trend since 2026-06")
    assert table.chart is None and "Too few figures for a chart" in table.text


def test_chatter_gets_a_pointer_not_a_did_you_mean(engine, catalogue):
    for question in ("hello", "who made you", "what is the weather", "안녕하세요", "你好"):
        reply = _ask(engine, catalogue, question)
        assert "I answer questions about prices" in reply.text, question
        assert not reply.buttons, question
    korean = _ask(engine, catalogue, "hello", lang="ko").text
    assert "북한 시장" in korean


def test_a_condition_question_gets_reports_not_a_price(engine, catalogue):
    from bot.services.seed import load_sample

    load_sample(engine, now=NOW)
    text = _ask(engine, catalogue, "is the border open in hyesan?").text
    assert "Trade conditions" in text and "Hyesan" in text
    assert "don't know a commodity" not in _ask(engine, catalogue, "smuggling").text


def test_did_you_mean_keeps_the_intent(engine, catalogue, three_markets):
    reply = _ask(engine, catalogue, "where is rize cheapest")
    assert "Which commodity did you mean" in reply.text
    data = reply.buttons[0][0].data
    assert data.startswith("q:l:") and len(data.encode()) <= callbacks.MAX_CALLBACK_BYTES
    asked = asking.decode(catalogue, callbacks.decode(data))
    text = asking.answer(engine, catalogue, asked, today=TODAY, lang="en").text
    assert text.startswith("<b>Cheapest: Pyongyang")


def test_forged_question_buttons_are_refused(engine, catalogue):
    rice = catalogue.commodities.resolve("rice").match.entry.id
    for data in (f"q:z:{rice}", "q:l:999999", f"q:l:{rice}:1.x", f"q:l:{rice}::::EUR"):
        with pytest.raises(InvalidInput):
            asking.decode(catalogue, callbacks.decode(data))


def test_question_button_data_fits_with_many_places(catalogue):
    rice = catalogue.commodities.resolve("rice").match.entry.id
    ids = [e.id * 100000 for e in catalogue.markets.entries][:8]
    data = asking.encode(asking.Ask.CHANGE, rice, ids, TODAY, TODAY, "USD")
    assert len(data.encode()) <= callbacks.MAX_CALLBACK_BYTES


def test_inline_offers_the_asked_view_first(engine, catalogue, three_markets):
    results = asking.inline(engine, catalogue, "where is rice cheapest", today=TODAY, lang="en")
    assert results[0].title.startswith("Cheapest: Pyongyang")
    assert len(results[0].text) <= MAX_TEXT
    assert len({r.id for r in results}) == len(results)
    assert any("Hyesan" in r.title for r in results[1:])
    assert asking.inline(engine, catalogue, "hello", today=TODAY, lang="en") == []


def test_an_intent_word_alone_says_what_it_needs(engine, catalogue):
    with pytest.raises(InvalidInput) as trend:
        _ask(engine, catalogue, "chart")
    assert "/trend corn hyesan" in trend.value.user_message
    with pytest.raises(InvalidInput) as cheapest:
        _ask(engine, catalogue, "where is it cheapest")
    assert "/compare rice" in cheapest.value.user_message

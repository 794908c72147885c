"""Answers computed on a real database (SQLite and PostgreSQL): conversions, records, periods, browsing."""

from bot.services import analysis, asking
from bot.services.prices import Question
from tests.support.clock import NOW
from tests.support.factories import add_price, add_rate


def reply(engine, catalogue, text):
    return asking.ask(engine, catalogue, text, today=NOW.date(), lang="en").text


def test_won_price_is_converted_at_the_same_markets_rate_nearest_in_date(engine, catalogue):
    add_price(engine, catalogue, now=NOW, date="2026-10-01", price="9000")
    add_rate(engine, catalogue, now=NOW, date="2026-09-20", price="30000")
    add_rate(engine, catalogue, now=NOW, date="2026-10-03", price="36000")
    add_price(
        engine,
        catalogue,
        now=NOW,
        commodity="us-dollar",
        unit="USD",
        pricetype="official",
        date="2026-10-01",
        price="100",
    )
    # Another market's rate is never used.
    add_price(
        engine,
        catalogue,
        now=NOW,
        commodity="us-dollar",
        unit="USD",
        pricetype="market",
        market="sinuiju",
        date="2026-10-01",
        price="1000",
    )
    text = reply(engine, catalogue, "rice hyesan")
    assert "≈ 0.25 USD/kg" in text and "36,000 KPW per USD" in text


def test_no_conversion_without_a_nearby_market_rate(engine, catalogue):
    add_price(engine, catalogue, now=NOW, date="2026-10-01", price="9000")
    add_rate(engine, catalogue, now=NOW, date="2025-01-01", price="8000")
    assert "≈" not in reply(engine, catalogue, "rice hyesan")


def test_record_high_needs_history_and_a_new_top(engine, catalogue):
    for day, price in (("2026-07-01", "7000"), ("2026-08-01", "8000"), ("2026-09-01", "7500")):
        add_price(engine, catalogue, now=NOW, date=day, price=price)
    add_price(engine, catalogue, now=NOW, date="2026-10-01", price="8200")
    assert "Highest figure on record" in reply(engine, catalogue, "rice hyesan")
    add_price(engine, catalogue, now=NOW, date="2026-11-01", price="8100")
    assert "Highest figure on record" not in reply(engine, catalogue, "rice hyesan")


def test_a_period_limits_the_figures_and_falls_back_to_the_latest_before_it(engine, catalogue):
    add_price(engine, catalogue, now=NOW, date="2024-03-10", price="6000")
    add_price(engine, catalogue, now=NOW, date="2026-10-01", price="9000")
    assert "6,000 KPW/kg" in reply(engine, catalogue, "rice hyesan in march 2024")
    text = reply(engine, catalogue, "rice hyesan in 2025")
    assert "the latest before it" in text and "6,000 KPW/kg" in text


def test_compare_uses_one_period_and_one_currency(engine, catalogue):
    add_price(engine, catalogue, now=NOW, market="hyesan", date="2026-10-01", price="9000")
    add_price(engine, catalogue, now=NOW, market="sinuiju", date="2026-10-05", price="8500")
    add_price(engine, catalogue, now=NOW, market="pyongyang", date="2020-01-01", price="5000")
    question = Question(catalogue.commodity_slugs["rice"])
    text = analysis.compare(engine, catalogue, question, today=NOW.date(), lang="en").text
    assert "Hyesan" in text and "Sinuiju" in text and "No figure in this period: Pyongyang" in text


def test_trend_chart_and_table(engine, catalogue):
    add_price(engine, catalogue, now=NOW, date="2026-08-01", price="8000")
    single = analysis.trend(
        engine, catalogue, Question(catalogue.commodity_slugs["rice"]), lang="en"
    )
    assert single.chart is None and "Too few figures" in single.text
    add_price(engine, catalogue, now=NOW, date="2026-09-01", price="8500-9000")
    chart = analysis.trend(
        engine, catalogue, Question(catalogue.commodity_slugs["rice"]), lang="en"
    )
    assert chart.chart is not None and "Sources: Daily NK (2)" in chart.caption
    # The chart is described, not drawn: the handlers draw it off the answer path.
    (series,) = chart.chart.series
    assert [(p.on.isoformat(), p.low, p.high) for p in series.points] == [
        ("2026-08-01", 8000, 8000),
        ("2026-09-01", 8500, 9000),
    ]
    assert chart.photo is None and chart.chart.y_label == "KPW/kg"

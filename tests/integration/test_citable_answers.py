"""Answers a researcher can cite: provenance, honest previous figures, sources side by side."""

from datetime import timedelta

from sqlmodel import Session

from bot.services import alerts, asking, conditions
from db import repo
from tests.support.clock import NOW
from tests.support.factories import add_price, subscription_row


def reply(engine, catalogue, text):
    return asking.ask(engine, catalogue, text, today=NOW.date(), lang="en").text


def test_a_reprint_names_its_publisher_and_where_it_was_read(engine, catalogue):
    add_price(
        engine, catalogue, now=NOW, date="2026-11-20", source_url="",
        via="inven.co.kr", via_url="https://www.inven.co.kr/board/1",
    )  # fmt: skip
    text = reply(engine, catalogue, "rice hyesan")
    assert 'Source: Daily NK, via <a href="https://www.inven.co.kr/board/1">inven.co.kr</a>' in text


def test_an_undated_figure_is_never_the_previous_of_a_dated_one(engine, catalogue):
    add_price(engine, catalogue, now=NOW, date="", price="3200", source_url="https://a.org/1")
    add_price(engine, catalogue, now=NOW, date="2026-10-01", price="8000")
    add_price(engine, catalogue, now=NOW, date="2026-11-01", price="8400")
    text = reply(engine, catalogue, "rice hyesan")
    assert "Previous: 8,000 KPW/kg (1 Oct 2026) → ▲ +5%" in text
    assert "3,200" not in text


def test_undated_figures_follow_only_the_order_their_report_states(engine, catalogue):
    url = "https://a.org/seed"
    add_price(engine, catalogue, now=NOW, date="", price="200-300", source_url=url,
              report_order="1")  # fmt: skip
    add_price(engine, catalogue, now=NOW, date="", price="500-1200", source_url=url,
              report_order="2")  # fmt: skip
    text = reply(engine, catalogue, "rice hyesan")
    assert "500-1,200 KPW/kg" in text.split("Previous")[0]
    assert (
        "Previous: 200-300 KPW/kg (date not stated; earlier in the same report) → ▲ +240% "
        "<b>severe</b> · midpoints 250 → 850" in text
    )
    # Two undated figures of different reports, no order stated: no previous at all.
    add_price(engine, catalogue, now=NOW, date="", price="90", market="sinuiju",
              source_url="https://b.org/1")  # fmt: skip
    add_price(engine, catalogue, now=NOW, date="", price="80", market="sinuiju",
              source_url="https://b.org/2")  # fmt: skip
    sinuiju = reply(engine, catalogue, "rice sinuiju")
    assert "Observed: date not stated" in sinuiju and "Previous" not in sinuiju


def test_two_sources_of_one_period_side_by_side_with_their_disagreement(engine, catalogue):
    add_price(engine, catalogue, now=NOW, date="2026-11-20", price="8000")
    add_price(engine, catalogue, now=NOW, date="2026-11-12", price="9200", source="RFA",
              source_url="https://rfa.example/x")  # fmt: skip
    add_price(engine, catalogue, now=NOW, date="2026-11", price="8100", source="ASIAPRESS",
              source_url="https://asiapress.example/y")  # fmt: skip
    # Outside the period: another month and more than 14 days away.
    add_price(engine, catalogue, now=NOW, date="2026-10-01", price="5000", source="NK Times")
    text = reply(engine, catalogue, "rice hyesan")
    assert "Other sources for the same period:" in text
    assert '• <a href="https://rfa.example/x">RFA</a>: 9,200 KPW/kg (12 Nov 2026)' in text
    assert "ASIAPRESS</a>: 8,100 KPW/kg (Nov 2026)" in text
    assert "NK Times" not in text
    assert "⚠️ Sources disagree: midpoints differ by 15 per cent." in text
    hyesan = catalogue.market_slugs["hyesan"]
    brief = conditions.brief(engine, catalogue, hyesan, today=NOW.date(), lang="en").text
    assert "🗂 3 sources ⚠️ differing by 15 per cent: RFA 9,200 KPW/kg" in brief


def test_sources_that_agree_are_said_to(engine, catalogue):
    add_price(engine, catalogue, now=NOW, date="2026-11-20", price="8000")
    add_price(engine, catalogue, now=NOW, date="2026-11-18", price="8300", source="RFA")
    text = reply(engine, catalogue, "rice hyesan")
    assert "Sources agree within 10 per cent." in text and "disagree" not in text


def test_a_regular_series_says_how_often_its_source_reports(engine, catalogue):
    for day in ("2026-10-01", "2026-10-15", "2026-10-29", "2026-11-12"):
        add_price(engine, catalogue, now=NOW, date=day)
    text = reply(engine, catalogue, "rice hyesan")
    assert "⏱ Daily NK reports this series about every two weeks; the latest figure is" in text
    # A few figures years apart make no rhythm.
    for day in ("2019-01-01", "2021-01-01", "2023-01-01", "2025-01-01"):
        add_price(engine, catalogue, now=NOW, date=day, market="sinuiju")
    assert "⏱" not in reply(engine, catalogue, "rice sinuiju")


def test_an_inferred_year_is_said(engine, catalogue):
    add_price(engine, catalogue, now=NOW, date="2026-11-02", date_inferred="yes")
    assert "year worked out, not stated by the source" in reply(engine, catalogue, "rice hyesan")


def test_a_stale_figure_never_alerts(engine, catalogue):
    rice = catalogue.commodity_slugs["rice"]
    row = subscription_row(1, due=NOW + timedelta(days=3), now=NOW, goods=(rice,))
    with Session(engine) as session:
        values = {k: v for k, v in row.items() if k not in ("created_at", "updated_at")}
        repo.add_subscription(session, values={**values, "alerts": True}, now=NOW)
        session.commit()
    add_price(engine, catalogue, now=NOW, date="2024-01-01", price="8000")
    old_jump = add_price(engine, catalogue, now=NOW, date="2024-02-01", price="20000")
    assert alerts.check_alerts(engine, catalogue, [old_jump.id], now=NOW) == 0
    add_price(engine, catalogue, now=NOW, date="2026-11-01", price="8000")
    fresh_jump = add_price(engine, catalogue, now=NOW, date="2026-11-20", price="20000")
    assert alerts.check_alerts(engine, catalogue, [fresh_jump.id], now=NOW) == 1

"""Trade-condition answers on a real database: filters, pages, what is known, briefings."""

from __future__ import annotations

import pytest

from bot.domain import callbacks
from bot.domain.errors import InvalidInput, NotFound
from bot.rendering.html import MAX_TEXT
from bot.services import asking, conditions
from bot.services.seed import load_sample
from tests.support.clock import NOW
from tests.support.factories import add_price, add_rate, add_report

TODAY = NOW.date()


def _ask(engine, catalogue, text, lang="en"):
    return asking.ask(engine, catalogue, text, today=TODAY, lang=lang)


def _command(engine, catalogue, text, lang="en"):
    return asking.conditions_command(engine, catalogue, text, today=TODAY, lang=lang)


def _tap(engine, catalogue, data, lang="en"):
    query, page = conditions.decode(catalogue, callbacks.decode(data))
    return conditions.answer(engine, catalogue, query, page=page, today=TODAY, lang=lang)


@pytest.fixture
def reports(engine, catalogue):
    """Five reports: Hyesan (three), its province Ryanggang, and Sinuiju."""
    add_report(engine, catalogue, now=NOW, date="2026-03-02", summary="Hyesan guards let cars over.",
               topics="smuggling;imports", border_status="partially-open", commodities="cars")  # fmt: skip
    add_report(engine, catalogue, now=NOW, date="2025-07", topics="border", border_status="closed",
               summary="The Hyesan crossing shut for the summer drills.")  # fmt: skip
    add_report(engine, catalogue, now=NOW, date="2024", topics="exports",
               summary="Herbs left Hyesan for Russia by rail.", commodities="lingzhi;mobile phones")  # fmt: skip
    add_report(engine, catalogue, now=NOW, place="ryanggang", date="2026-01-15",
               topics="enforcement", enforcement="public trial", summary="A smuggler was tried.")  # fmt: skip
    add_report(engine, catalogue, now=NOW, place="sinuiju", date="2026-02", topics="border",
               border_status="open", summary="Trucks crossed the Friendship Bridge.")  # fmt: skip


def _order(text: str, *needles: str) -> list[str]:
    return sorted((n for n in needles if n in text), key=text.index)


def test_a_place_shows_its_province_too_newest_first(engine, catalogue, reports):
    text = _command(engine, catalogue, "hyesan").text
    assert "Hyesan with Ryanggang, newest first" in text
    assert _order(text, "cars over", "was tried", "shut for the summer") == [
        "cars over", "was tried", "shut for the summer"
    ]  # fmt: skip
    assert "Friendship Bridge" not in text  # another province


def test_filters_in_any_order_and_language(engine, catalogue, reports):
    for text in (
        "hyesan border",
        "border hyesan",
        "혜산 국경",
        "惠山边境",
        "is the border open in hyesan?",
    ):
        reply = _ask(engine, catalogue, text) if "?" in text else _command(engine, catalogue, text)
        assert "shut for the summer" in reply.text, text
        assert "cars over" not in reply.text and "was tried" not in reply.text, text
    period = _command(engine, catalogue, "2025 hyesan").text
    assert "shut for the summer" in period and "cars over" not in period
    assert "Trade conditions: Hyesan · 2025" in period
    goods = _command(engine, catalogue, "lingzhi").text
    assert "Herbs left Hyesan" in goods and "cars over" not in goods


def test_a_good_not_in_the_catalogue_is_searchable_and_shown(engine, catalogue, reports):
    text = _command(engine, catalogue, "mobile phones").text
    assert "Herbs left Hyesan" in text and "Goods: Lingzhi, mobile phones" in text
    with pytest.raises(NotFound, match="Nothing matches"):
        _command(engine, catalogue, "xylophones")


def test_a_partner_country_narrows_to_reports_naming_it(engine, catalogue, reports):
    text = _ask(engine, catalogue, "hyesan russia trade").text
    assert "Herbs left Hyesan for Russia" in text and "cars over" not in text
    # Nobody wrote about Russia in Sinuiju: the place's other reports, and it says so.
    other = _ask(engine, catalogue, "sinuiju russia trade").text
    assert "No report here names Russia" in other and "Friendship Bridge" in other


def test_pages_are_buttons_that_edit_the_message(engine, catalogue):
    for day in range(1, 8):
        add_report(engine, catalogue, now=NOW, date=f"2026-05-{day:02d}", summary=f"Report {day}.")
    first = _command(engine, catalogue, "hyesan border")
    assert "Report 7." in first.text and "Report 5." in first.text and "Report 4." not in first.text
    (row,) = first.buttons
    assert [b.text for b in row] == ["1", "▶️"]
    second = _tap(engine, catalogue, row[1].data)
    assert "page 2" in second.text and "Report 4." in second.text and "Report 7." not in second.text
    third = _tap(engine, catalogue, second.buttons[0][-1].data)
    assert "Report 1." in third.text and [b.text for b in third.buttons[0]] == ["◀️", "3"]
    for button in (*row, *second.buttons[0], *third.buttons[0]):
        assert len(button.data.encode()) <= callbacks.MAX_CALLBACK_BYTES


def test_buttons_keep_every_filter_and_refuse_stale_ones(engine, catalogue, reports):
    query = conditions.ConditionsQuery(
        market_id=catalogue.market_slugs["hyesan"],
        commodity_id=catalogue.commodity_slugs["lingzhi"],
        topics=("exports", "smuggling"),
        start=TODAY.replace(year=2020, month=1, day=1),
        end=TODAY,
        partner="ru",
        good="mobile phones",
    )
    data = query.callback(2)
    assert data is not None and len(data.encode()) <= callbacks.MAX_CALLBACK_BYTES
    decoded, page = conditions.decode(catalogue, callbacks.decode(data))
    assert page == 2 and decoded.topics == ("smuggling", "exports") and decoded.partner == "ru"
    assert (decoded.market_id, decoded.commodity_id, decoded.good) == (
        query.market_id, query.commodity_id, "mobile phones"
    )  # fmt: skip
    # Buttons of messages sent before filters existed still work.
    old = _tap(engine, catalogue, f"c:m:{catalogue.market_slugs['hyesan']}:1")
    assert "cars over" in old.text
    for stale in ("k:999999", "k::999999", "k:::1:::xx", "k:1:1:1:20261399", "k:1:1:1:::zz"):
        with pytest.raises(InvalidInput):
            conditions.decode(catalogue, callbacks.decode(stale))


def test_nothing_found_says_what_is_known(engine, catalogue, reports):
    text = _ask(engine, catalogue, "customs in hyesan").text
    assert text.startswith("No reports on customs in Hyesan.")
    assert "For Hyesan I have 4 reports (Jan 2024 – Mar 2026) on: " in text
    assert "border (1)" in text and "enforcement (1)" in text
    reply = _ask(engine, catalogue, "customs in musan")
    assert "No trade-condition reports for Musan yet." in reply.text
    assert "Reports are filed for: Hyesan (3), Ryanggang (1), Sinuiju (1)." in reply.text
    assert "know a commodity" not in reply.text


def test_a_good_and_a_topic_get_the_price_and_the_reports(engine, catalogue, reports):
    add_price(engine, catalogue, now=NOW, commodity="lingzhi", date="2026-09", price="800",
              currency="CNY")  # fmt: skip
    reply = _ask(engine, catalogue, "lingzhi exports hyesan")
    price, _, reports_part = reply.text.partition("\n\n<b>Trade conditions")
    assert price.startswith("<b>Lingzhi</b> — Hyesan") and "800 CNY/kg" in price
    assert "Herbs left Hyesan" in reports_part
    labels = [b.text for row in reply.buttons for b in row]
    assert "📈 Trend" in labels


def test_briefing_for_a_place_alone(engine, catalogue, reports):
    add_price(engine, catalogue, now=NOW, date="2026-10-10", price="9000")
    add_price(engine, catalogue, now=NOW, date="2026-09-10", price="8000")
    add_rate(engine, catalogue, now=NOW, date="2025-01-05", price="8000")
    add_price(engine, catalogue, now=NOW, commodity="pork", date="2026-10-01", price="30000")
    for text in ("hyesan", "혜산", "what's happening in hyesan"):
        reply = _ask(engine, catalogue, text)
        assert reply.text.startswith("📍 <b>Hyesan</b> (Ryanggang) — briefing"), text
        assert reply.text.count("\n• ") >= 5, text
    reply = asking.brief_command(engine, catalogue, "hyesan", today=TODAY, lang="en")
    text = reply.text
    lines = text.split("\n")
    assert lines[3].startswith("• <b>2 Mar 2026 · border partially open</b> — Hyesan guards")
    assert "was tried" in text and "shut for the summer" in text and "Herbs left" not in text
    rice = next(line for line in lines if line.startswith("• <b>rice</b>"))
    assert "9,000 KPW/kg" in rice and "▲ +12% since 10 Sep 2026" in rice and "stale" not in rice
    dollar = next(line for line in lines if line.startswith("• <b>US dollar</b>"))
    assert "8,000 KPW per USD" in dollar and "stale (over 60 days)" in dollar
    assert "• <b>pork</b>" in text  # what the place has figures of
    assert "No figures here for: corn, Chinese yuan." in text
    labels = [b.text for row in reply.buttons for b in row]
    assert labels == ["📰 More reports", "📈 Rice trend", "⚖️ Compare rice", "🔔 Subscribe"]
    kinds = [callbacks.decode(b.data).kind for row in reply.buttons for b in row]
    assert kinds == ["k", "t", "cmp", "sbm"]
    assert len(text) <= MAX_TEXT


def test_briefing_says_when_reports_are_stale(engine, catalogue):
    add_report(engine, catalogue, now=NOW, date="2023-05", summary="Markets were quiet.")
    text = asking.brief_command(engine, catalogue, "혜산", today=TODAY, lang="en").text
    assert "⚠️ The newest report is 3 years old." in text
    empty = asking.brief_command(engine, catalogue, "musan", today=TODAY, lang="en")
    assert "No trade-condition reports for this place yet." in empty.text
    assert "📰 More reports" not in [b.text for row in empty.buttons for b in row]


def test_bad_input_gets_a_clear_reply(engine, catalogue, reports):
    with pytest.raises(InvalidInput):
        _command(engine, catalogue, "border " * 40)
    with pytest.raises(InvalidInput, match="English, Korean and Chinese"):
        _ask(engine, catalogue, "контрабанда")
    with pytest.raises(InvalidInput, match="/brief hyesan"):
        asking.brief_command(engine, catalogue, " ", today=TODAY, lang="en")
    slip = asking.brief_command(engine, catalogue, "hyesn", today=TODAY, lang="en")
    assert slip.text.startswith("📍 <b>Hyesan</b>")
    with pytest.raises(NotFound, match="place"):
        asking.brief_command(engine, catalogue, "qqqzzz", today=TODAY, lang="en")


def test_sample_data_answers_the_questions_of_the_issue(engine, catalogue):
    load_sample(engine, now=NOW)
    sinuiju = _ask(engine, catalogue, "is the border open in sinuiju?").text
    assert sinuiju.startswith("<b>Trade conditions: Sinuiju · border</b>")
    assert "31 Jan 2026" in sinuiju and "Source: <a href=" in sinuiju
    assert (
        "Trade conditions: North Korea · exports · with China"
        in _ask(engine, catalogue, "what is north korea exporting to china").text
    )
    rason = _ask(engine, catalogue, "rason russia trade").text
    assert "Tumen" in rason
    for text in ("혜산 밀수", "惠山走私", "smuggling"):
        assert "smuggl" in _ask(engine, catalogue, text).text.lower(), text


def test_korean_reader_gets_korean_labels_and_english_summaries(engine, catalogue, reports):
    text = _ask(engine, catalogue, "혜산 국경", lang="ko").text
    assert "혜산" in text and "The Hyesan crossing shut" in text
    assert "Trade conditions" not in text  # translated heading

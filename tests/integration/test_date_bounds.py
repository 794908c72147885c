"""Dates outside the bounds, through every reader of questions: a clear refusal, never a crash.

Typed questions, /compare, /trend, /conditions, inline mode and the chat export read their times
with `extract_period`; a time outside 1900 to the end of next year must reach the user as an
InvalidInput that names the problem (inline mode: no results), and a time inside them an answer.
"""

from __future__ import annotations

import pytest

from bot.domain.errors import DomainError, InvalidInput
from bot.domain.intent import Ask
from bot.rendering.replies import Reply
from bot.services import asking
from config.settings import Settings
from tests.support.clock import NOW
from tests.support.factories import add_price, add_report
from tests.support.services import make_services

TODAY = NOW.date()

# Each of these crashed an answer before the bounds (year 10000 / year 0 out of range, overflow).
OUTSIDE = (
    "lingzhi since 9999-12",
    "rice before 0001",
    "rice since 0000",
    "rice Dec 9999",
    "rice hyesan 9999년 12월",
    "혜산 쌀 9999년 12월부터",
    "公元9999年12月惠山大米",
    "rice from 0001 to 9999",
    "rice 0001-9999",
    "rice hyesan 0000-12-31",
    "rice 31 Dec 9999",
    "rice hyesan since 9999-12-31",
    "rice after 9999",
    "rice in 0000",
    "rice last 100000 years",
    "rice hyesan over the last 99999999 months",
    "rice past 999 years",
    "쌀 지난 999년",
    "大米过去999年",
    "rice last " + "9" * 40 + " days",
    "rice before 2028",
    "rice since 1850",
    "rice 2024-13",
    "rice 2024-12-32",
    "rice in the next 5 years",
    "rice hyesan March 2027",
)
# The same readers keep answering the times inside the bounds.
INSIDE = (
    "rice hyesan since 2020",
    "rice hyesan past 126 years",
    "rice hyesan last 1000 days",
    "rice hyesan 2026-2020",
    "rice hyesan from 2020-12 to 2026-01",
    "혜산 쌀 2025년부터",
    "惠山大米2026年",
)
CONDITIONS = (
    "hyesan since 9999-12",
    "border hyesan before 0001",
    "혜산 국경 9999년 12월",
    "惠山边境公元9999年12月",
    "smuggling from 0001 to 9999",
    "hyesan last 100000 years",
)


@pytest.fixture
def services(engine, catalogue):
    add_price(engine, catalogue, now=NOW, date="2024-05-01", price="7000")
    add_price(engine, catalogue, now=NOW, date="2026-10-01", price="8000")
    add_price(engine, catalogue, now=NOW, market="sinuiju", date="2026-10-01", price="8100")
    add_report(engine, catalogue, now=NOW)
    return make_services(Settings(_env_file=None), engine, now=lambda: NOW)


def _refused(call, text: str) -> str:
    with pytest.raises(InvalidInput) as refused:
        call(text)
    message = refused.value.user_message
    assert message.strip() and "Traceback" not in message
    return message


@pytest.mark.parametrize("force", [None, Ask.COMPARE, Ask.TREND, Ask.CHANGE, Ask.CHEAPEST])
def test_questions_outside_the_bounds_are_refused_clearly(services, engine, catalogue, force):
    def call(text: str) -> Reply:
        return asking.ask(engine, catalogue, text, today=TODAY, lang="en", force=force)

    for text in OUTSIDE:
        message = _refused(call, text)
        assert "“" in message or "can't look up prices" in message, (text, message)
    for text in INSIDE:
        assert call(text).text or call(text).chart is not None, text


def test_commands_refuse_times_outside_the_bounds(services):
    questions = services.questions
    for command in (questions.ask, questions.compare, questions.trend):
        for text in OUTSIDE:
            _refused(lambda t, c=command: c(t, lang="ko"), text)
    assert "Dates run from 1900 to 2027" in _refused(
        lambda t: questions.compare(t, lang="en"), "lingzhi since 9999-12"
    )


def test_inline_mode_answers_with_a_list_for_any_time(engine, catalogue, services):
    for text in (*OUTSIDE, *CONDITIONS):
        results = asking.inline(engine, catalogue, text, today=TODAY, lang="en")
        assert results == [], text
    for text in INSIDE:
        assert isinstance(asking.inline(engine, catalogue, text, today=TODAY, lang="en"), list)
    assert services.questions.inline("rice since 9999-12", lang="en") == []


def test_conditions_refuse_times_outside_the_bounds(engine, catalogue, services):
    def call(text: str) -> Reply:
        return asking.conditions_command(engine, catalogue, text, today=TODAY, lang="en")

    for text in (*CONDITIONS, *OUTSIDE):
        _refused(call, text)
    assert call("hyesan since 2020").text
    assert (
        _refused(lambda t: services.questions.conditions(t, lang="en"), "hyesan since 9999-12")
        == "Dates run from 1900 to 2027: “9999-12” is outside them."
    )


def test_the_export_refuses_times_outside_the_bounds(services):
    for text in OUTSIDE:
        _refused(services.files.export_csv, text)
        _refused(services.files.export_csv, "reports " + text.removeprefix("rice "))
    name, data = services.files.export_csv("rice hyesan past 126 years")
    assert name.endswith(".csv") and b"7000" in data and b"8000" in data


def test_no_reader_raises_anything_but_a_domain_error(engine, catalogue, services):
    # Every time word with extreme numbers, in every reader: an answer or a DomainError.
    years = ("0000", "0001", "1899", "1900", "2027", "2028", "9999")
    shapes = ("since {y}-12", "before {y}", "{y}년 12월", "公元{y}年12月", "Dec {y}", "{y}-01-31")
    texts = [f"rice hyesan {shape.format(y=y)}" for y in years for shape in shapes]
    readers = (
        lambda t: asking.ask(engine, catalogue, t, today=TODAY, lang="en"),
        lambda t: asking.ask(engine, catalogue, t, today=TODAY, lang="en", force=Ask.TREND),
        lambda t: asking.ask(engine, catalogue, t, today=TODAY, lang="en", force=Ask.COMPARE),
        lambda t: asking.conditions_command(engine, catalogue, t, today=TODAY, lang="en"),
        services.files.export_csv,
    )
    for text in texts:
        assert isinstance(asking.inline(engine, catalogue, text, today=TODAY, lang="en"), list)
        for read in readers:
            try:
                read(text)
            except DomainError as exc:
                assert exc.user_message.strip()

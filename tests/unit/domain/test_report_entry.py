"""The one-line report entry of /addreport, read against the real catalogue."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.entry import (
    ReportDraft,
    missing_report_fields,
    parse_report_entry,
    report_draft_to_row,
)
from bot.domain.records import MAX_SUMMARY, trade_report_from_row
from tests.support.catalogue import COMMODITIES, MARKETS

TODAY = date(2026, 11, 28)
EXAMPLE = (
    'sinuiju 2025-09 border transport border:partially-open channel:truck goods:"rice;sugar" '
    '"Trucks crossed the Friendship Bridge again after a month." source:"Daily NK" '
    "url:https://www.dailynk.com/english/x rel:B3"
)


def parse(text: str) -> ReportDraft:
    return parse_report_entry(text, markets=MARKETS, commodities=COMMODITIES, today=TODAY)


def place_of(draft: ReportDraft) -> str | None:
    match = draft.place.match if draft.place is not None else None
    return match.entry.slug if match is not None else None


def ok(text: str) -> ReportDraft:
    draft = parse(text)
    assert draft.problems == (), draft.problems
    return draft


def test_the_example_line():
    draft = ok(EXAMPLE)
    assert place_of(draft) == "sinuiju"
    assert draft.date == "2025-09"
    assert draft.topics == ("border", "transport")
    assert draft.border_status == "partially-open"
    assert draft.channel == "truck"
    assert draft.goods == ("rice", "sugar")
    assert draft.summary == "Trucks crossed the Friendship Bridge again after a month."
    assert draft.source == "Daily NK"
    assert draft.url == "https://www.dailynk.com/english/x"
    assert draft.reliability == "B3"
    assert missing_report_fields(draft) == []


def test_the_draft_passes_the_report_validator():
    draft = ok(EXAMPLE)
    record = trade_report_from_row(report_draft_to_row(draft, place_slug="sinuiju"), today=TODAY)
    assert record.place == "sinuiju"
    assert record.observed.iso() == "2025-09"
    assert record.topics == ("border", "transport")
    assert record.commodities == ("rice", "sugar")
    assert record.border_status == "partially-open" and record.channel == "truck"


@pytest.mark.parametrize(
    ("line", "slug", "text"),
    [
        ('hyesan "x" source:y', "hyesan", "hyesan"),
        ('north pyongan "x" source:y', "north-pyongan", "north pyongan"),
        ('혜산 "x" source:y', "hyesan", "혜산"),
        ('惠山 "x" source:y', "hyesan", "惠山"),
        ('신의주 2025-09 "x" source:y', "sinuiju", "신의주"),
        ('新义州 border "x" source:y', "sinuiju", "新义州"),
        ('hyesan city border "x" source:y', "hyesan", "hyesan city"),
        ('3-city average 2025 "x" source:y', "three-city-average", "3-city average"),
    ],
)
def test_the_place_comes_first_in_any_script_and_several_words(line, slug, text):
    draft = ok(line)
    assert (place_of(draft), draft.place_text) == (slug, text)


def test_a_misspelt_place_is_resolved_fuzzily_and_an_unknown_one_is_kept():
    assert place_of(ok('hyesna "x" source:y')) == "hyesan"
    draft = ok('zzplace "x" source:y')
    assert draft.place_text == "zzplace" and place_of(draft) is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('hyesan 2025-09 "x" source:y', "2025-09"),
        ('hyesan 2025-09-14 "x" source:y', "2025-09-14"),
        ('hyesan 2025 "x" source:y', "2025"),
        ('hyesan Sep 2025 "x" source:y', "2025-09"),
        ('hyesan 14 Sep 2025 "x" source:y', "2025-09-14"),
        ('hyesan September 14, 2025 "x" source:y', "2025-09-14"),
        ('hyesan 2025년 9월 "x" source:y', "2025-09"),
        ('hyesan 2025.09 "x" source:y', "2025-09"),
        ('hyesan "x" source:y date:2025-09', "2025-09"),
        ('hyesan "x" source:y date:Sep 2025', "2025-09"),
        ('hyesan yesterday "x" source:y', "2026-11-27"),
        ('hyesan "x" source:y', None),
    ],
)
def test_dates(line, expected):
    assert ok(line).date == expected


@pytest.mark.parametrize(
    ("line", "topics"),
    [
        ('hyesan border smuggling "x" source:y', ("border", "smuggling")),
        ('hyesan border,smuggling "x" source:y', ("border", "smuggling")),
        ('hyesan topics:border,smuggling "x" source:y', ("border", "smuggling")),
        ('hyesan topics:"border customs" "x" source:y', ("border", "customs")),
        ('hyesan crackdown import "x" source:y', ("enforcement", "imports")),
        ('hyesan market activity exchange rate "x" source:y', ("market-activity", "exchange-rate")),
        ('hyesan border topics:border,transport "x" source:y', ("border", "transport")),
        ('hyesan 2025-09 food "x" source:y', ("food-supply",)),
    ],
)
def test_topics_bare_or_as_an_option(line, topics):
    assert ok(line).topics == topics


@pytest.mark.parametrize(
    ("option", "field", "value"),
    [
        ("border:partially-open", "border_status", "partially-open"),
        ('border:"partially open"', "border_status", "partially-open"),
        ("border:closed", "border_status", "closed"),
        ("border:lockdown", "border_status", "closed"),
        ("direction:import", "direction", "import"),
        ("direction:Exports", "direction", "export"),
        ("direction:both", "direction", "both"),
        ("channel:truck", "channel", "truck"),
        ('channel:"private smuggling"', "channel", "private-smuggling"),
        ("market:recovering", "market_activity", "recovering"),
        ("market:Stable", "market_activity", "stable"),
        ('goods:"rice; mobile phones"', "goods", ("rice", "mobile phones")),
        ("goods:쌀,sugar", "goods", ("rice", "sugar")),
        ('enforcement:"Inspections at the crossing doubled"', "enforcement", None),
        ('source:"Asia Press"', "source", "Asia Press"),
        ("source: RFA", "source", "RFA"),
        ("url:https://rfa.org/a?b=1", "url", "https://rfa.org/a?b=1"),
        ("https://rfa.org/a", "url", "https://rfa.org/a"),
        ("rel:B2", "reliability", "B2"),
        ("rel:c3", "reliability", "C3"),
        ("신뢰도:A1", "reliability", "A1"),
    ],
)
def test_each_option(option, field, value):
    line = f'hyesan 2025-09 {option} "x" source:"Daily NK"'
    if field == "source":
        line = f'hyesan 2025-09 "x" {option}'
    draft = ok(line)
    if value is None:
        value = option.split(":", 1)[1].strip('"')
    assert getattr(draft, field) == value


def test_the_summary_bare_or_as_an_option_and_unquoted_text_options_go_on():
    assert ok('hyesan summary:"Calm." source:y').summary == "Calm."
    draft = ok("hyesan summary:Trucks crossed again source:Daily NK border 2025-09")
    assert draft.summary == "Trucks crossed again"
    assert draft.source == "Daily NK"  # a topic word ends the unquoted value
    assert draft.topics == ("border",) and draft.date == "2025-09"
    assert ok("hyesan “curly quotes” source:‘Daily NK’").summary == "curly quotes"


def test_the_order_after_the_place_is_free():
    a = ok('hyesan 2025-09 border "x" source:y rel:B2 channel:truck')
    b = ok('hyesan channel:truck rel:B2 source:y "x" border 2025-09')
    assert a == b


def test_a_summary_of_exactly_the_limit_is_taken_and_one_more_is_refused():
    summary = "a" * MAX_SUMMARY
    assert ok(f'hyesan "{summary}" source:y').summary == summary
    draft = parse(f'hyesan "{summary}b" source:y')
    assert draft.problems == (
        f"The summary is {MAX_SUMMARY + 1:,} characters; the limit is {MAX_SUMMARY:,}.",
    )


@pytest.mark.parametrize("when", ["2099-01", "2026-12", "2026-11-29", "Jan 2027", "2030"])
def test_a_date_in_the_future_is_refused(when):
    (problem,) = parse(f'hyesan {when} "x" source:y').problems
    assert problem.endswith("is in the future.")


def test_future_date_message():
    assert parse('hyesan 2099-01 "x" source:y').problems == ("“2099-01” is in the future.",)
    assert parse('hyesan "x" source:y').problems == ()
    assert parse('hyesan 2026-11-28 "x" source:y').problems == ()  # today is fine


def test_every_problem_is_listed_at_once():
    draft = parse(
        'hyesan 2099-01 "one" "two" foo:bar border:ajar direction:sideways market:meh '
        "rel:Z9 url:ftp://x topics:bogus trucks"
    )
    problems = "\n".join(draft.problems)
    for part in (
        "Two summaries",
        "Unknown option “foo:”",
        "is in the future",
        "“ajar” is not a border status",
        "“sideways” is not a direction",
        "“meh” is not a market activity",
        "“Z9” is not a reliability grade",
        "“ftp://x” is not a web address",
        "“bogus” is not a topic",
        "I could not read “trucks”",
    ):
        assert part in problems, part
    assert len(draft.problems) == 10


@pytest.mark.parametrize(
    ("word", "hint"),
    [
        ("closed", "border:closed"),
        ("recovering", "market:recovering"),
        ("both", "direction:both"),
        ("truck", "channel:truck"),
    ],
)
def test_a_bare_vocabulary_word_is_no_place_and_gets_a_hint(word, hint):
    draft = parse(f'hyesan {word} "x" source:y')
    assert draft.place_text == "hyesan"
    (problem,) = draft.problems
    assert f"“{word}”" in problem and f"Did you mean {hint}?" in problem


def test_twice_given_values_are_problems():
    assert parse('hyesan 2025 "x" source:y date:2024').problems == (
        "The date is given twice: “2025” and “2024”; keep one.",
    )
    (problem,) = parse('hyesan "x" source:a source:b').problems
    assert "source is given twice" in problem
    (problem,) = parse('hyesan place:sinuiju "x" source:y').problems
    assert "place is given twice" in problem


def test_an_option_without_a_value_and_an_unclosed_quote():
    assert parse('hyesan "x" source:').problems == ("The option source: has no value.",)
    (problem,) = parse('hyesan "never closed source:y').problems
    assert "never closed" in problem


@pytest.mark.parametrize(
    ("line", "missing"),
    [
        ("", ["place", "summary", "source"]),
        ("hyesan", ["summary", "source"]),
        ('hyesan "x"', ["source"]),
        ("hyesan source:y", ["summary"]),
        ('2025-09 border "x" source:y', ["place"]),
    ],
)
def test_missing_required_fields(line, missing):
    draft = parse(line)
    assert draft.problems == ()
    assert missing_report_fields(draft) == missing


def test_a_place_may_follow_a_leading_option_or_topic():
    assert place_of(ok('border hyesan "x" source:y')) == "hyesan"
    assert place_of(ok('source:"Daily NK" hyesan "x"')) == "hyesan"
    assert place_of(ok('place:"north pyongan" "x" source:y')) == "north-pyongan"


def test_an_overlong_place_is_a_problem_not_a_slow_search():
    draft = parse(" ".join(["word"] * 12) + ' "x" source:y')
    assert any("too long" in p for p in draft.problems)
    assert draft.place is None


def test_the_parser_never_raises_on_odd_input():
    for line in ('"', "::::", "a:b:c", "🙂 🙂", "'; DROP TABLE x; --", "r:" * 50, "2025 " * 10):
        parse(line)

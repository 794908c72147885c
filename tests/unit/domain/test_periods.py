"""Time expressions in English, Korean and Chinese, read against a fixed today (a Saturday)."""

from datetime import date

import pytest

from bot.domain.matching import Entry, Name, Resolver
from bot.domain.periods import Period, extract_period
from bot.domain.query import parse_query

TODAY = date(2026, 11, 28)
D = date


@pytest.mark.parametrize(
    ("text", "rest", "start", "end", "label"),
    [
        ("rice last week", "rice", D(2026, 11, 16), D(2026, 11, 22), "last week (16–22 Nov 2026)"),
        ("this week", "", D(2026, 11, 23), TODAY, "this week (23–28 Nov 2026)"),
        ("rice last month", "rice", D(2026, 10, 1), D(2026, 10, 31), "last month (Oct 2026)"),
        ("this month", "", D(2026, 11, 1), TODAY, "this month (Nov 2026)"),
        ("last year", "", D(2025, 1, 1), D(2025, 12, 31), "last year (2025)"),
        ("this year", "", D(2026, 1, 1), TODAY, "this year (2026)"),
        ("past 7 days", "", D(2026, 11, 22), TODAY, "past 7 days (22–28 Nov 2026)"),
        ("last 2 weeks", "", D(2026, 11, 15), TODAY, "past 2 weeks (15–28 Nov 2026)"),
        ("past three months", "", D(2026, 8, 29), TODAY, "past 3 months (29 Aug – 28 Nov 2026)"),
        ("past month", "", D(2026, 10, 29), TODAY, "past month (29 Oct – 28 Nov 2026)"),
        (
            "the past 2 years",
            "",
            D(2024, 11, 29),
            TODAY,
            "past 2 years (29 Nov 2024 – 28 Nov 2026)",
        ),
        ("yesterday", "", D(2026, 11, 27), D(2026, 11, 27), "yesterday (27 Nov 2026)"),
        ("rice today", "rice", TODAY, TODAY, "today (28 Nov 2026)"),
        ("rice in March", "rice", D(2026, 3, 1), D(2026, 3, 31), "March 2026"),
        ("in December", "", D(2025, 12, 1), D(2025, 12, 31), "December 2025"),
        ("in November", "", D(2026, 11, 1), TODAY, "November 2026"),
        ("in may", "", D(2026, 5, 1), D(2026, 5, 31), "May 2026"),
        ("in March 2024", "", D(2024, 3, 1), D(2024, 3, 31), "March 2024"),
        ("March 2024 rice", "rice", D(2024, 3, 1), D(2024, 3, 31), "March 2024"),
        ("Mar 2024", "", D(2024, 3, 1), D(2024, 3, 31), "March 2024"),
        ("sept. 2024", "", D(2024, 9, 1), D(2024, 9, 30), "September 2024"),
        ("Febuary 2024", "", D(2024, 2, 1), D(2024, 2, 29), "February 2024"),
        ("12 May 2024", "", D(2024, 5, 12), D(2024, 5, 12), "12 May 2024"),
        ("May 12, 2024", "", D(2024, 5, 12), D(2024, 5, 12), "12 May 2024"),
        ("rice 2023", "rice", D(2023, 1, 1), D(2023, 12, 31), "2023"),
        ("rice in 2023", "rice", D(2023, 1, 1), D(2023, 12, 31), "2023"),
        ("corn since 2021", "corn", D(2021, 1, 1), TODAY, "since 2021"),
        ("from 2021", "", D(2021, 1, 1), TODAY, "since 2021"),
        ("2021 onwards", "", D(2021, 1, 1), TODAY, "since 2021"),
        ("since March 2024", "", D(2024, 3, 1), TODAY, "since March 2024"),
        ("after 2020", "", D(2021, 1, 1), TODAY, "after 2020"),
        ("until 2022", "", None, D(2022, 12, 31), "until 2022"),
        ("before 2020", "", None, D(2019, 12, 31), "before 2020"),
        ("between 2020 and 2022", "", D(2020, 1, 1), D(2022, 12, 31), "2020 to 2022"),
        ("from 2021 to 2023", "", D(2021, 1, 1), D(2023, 12, 31), "2021 to 2023"),
        ("2020-2022", "", D(2020, 1, 1), D(2022, 12, 31), "2020 to 2022"),
        ("2024-05", "", D(2024, 5, 1), D(2024, 5, 31), "May 2024"),
        ("rice 2024-05-12", "rice", D(2024, 5, 12), D(2024, 5, 12), "12 May 2024"),
        ("since last month", "", D(2026, 10, 1), TODAY, "since last month (Oct 2026)"),
        ("지난주", "", D(2026, 11, 16), D(2026, 11, 22), "last week (16–22 Nov 2026)"),
        ("이번 주 쌀", "쌀", D(2026, 11, 23), TODAY, "this week (23–28 Nov 2026)"),
        (
            "평양 옥수수 지난달",
            "평양 옥수수",
            D(2026, 10, 1),
            D(2026, 10, 31),
            "last month (Oct 2026)",
        ),
        ("이번달", "", D(2026, 11, 1), TODAY, "this month (Nov 2026)"),
        ("작년 쌀값", "쌀값", D(2025, 1, 1), D(2025, 12, 31), "last year (2025)"),
        ("올해", "", D(2026, 1, 1), TODAY, "this year (2026)"),
        ("3월 쌀값", "쌀값", D(2026, 3, 1), D(2026, 3, 31), "March 2026"),
        ("12월", "", D(2025, 12, 1), D(2025, 12, 31), "December 2025"),
        ("2023년", "", D(2023, 1, 1), D(2023, 12, 31), "2023"),
        ("2023년 3월 혜산 쌀값", "혜산 쌀값", D(2023, 3, 1), D(2023, 3, 31), "March 2023"),
        ("2021년부터", "", D(2021, 1, 1), TODAY, "since 2021"),
        ("2021년 이후", "", D(2021, 1, 1), TODAY, "since 2021"),
        ("2020년부터 2022년까지", "", D(2020, 1, 1), D(2022, 12, 31), "2020 to 2022"),
        ("최근 3개월", "", D(2026, 8, 29), TODAY, "past 3 months (29 Aug – 28 Nov 2026)"),
        ("어제", "", D(2026, 11, 27), D(2026, 11, 27), "yesterday (27 Nov 2026)"),
        ("上周", "", D(2026, 11, 16), D(2026, 11, 22), "last week (16–22 Nov 2026)"),
        ("本周", "", D(2026, 11, 23), TODAY, "this week (23–28 Nov 2026)"),
        ("上个月平壤玉米", "平壤玉米", D(2026, 10, 1), D(2026, 10, 31), "last month (Oct 2026)"),
        ("本月", "", D(2026, 11, 1), TODAY, "this month (Nov 2026)"),
        ("去年惠山大米价格", "惠山大米价格", D(2025, 1, 1), D(2025, 12, 31), "last year (2025)"),
        ("今年", "", D(2026, 1, 1), TODAY, "this year (2026)"),
        ("三月大米", "大米", D(2026, 3, 1), D(2026, 3, 31), "March 2026"),
        ("3月", "", D(2026, 3, 1), D(2026, 3, 31), "March 2026"),
        ("十二月", "", D(2025, 12, 1), D(2025, 12, 31), "December 2025"),
        ("2023年", "", D(2023, 1, 1), D(2023, 12, 31), "2023"),
        ("2023年3月", "", D(2023, 3, 1), D(2023, 3, 31), "March 2023"),
        ("2021年以来", "", D(2021, 1, 1), TODAY, "since 2021"),
        ("自2021年灵芝", "灵芝", D(2021, 1, 1), TODAY, "since 2021"),
        ("从2021年起", "", D(2021, 1, 1), TODAY, "since 2021"),
        ("2020年到2022年", "", D(2020, 1, 1), D(2022, 12, 31), "2020 to 2022"),
        ("近三个月", "", D(2026, 8, 29), TODAY, "past 3 months (29 Aug – 28 Nov 2026)"),
        ("过去7天", "", D(2026, 11, 22), TODAY, "past 7 days (22–28 Nov 2026)"),
        ("昨天", "", D(2026, 11, 27), D(2026, 11, 27), "yesterday (27 Nov 2026)"),
    ],
)
def test_time_expressions(text, rest, start, end, label):
    assert extract_period(text, today=TODAY) == (rest, Period(start, end, label), None)


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("latest rice price", "rice price"),
        ("rice now", "rice"),
        ("current corn", "corn"),
        ("rice right now", "rice"),
        ("최근 쌀", "쌀"),
        ("요즘 쌀값", "쌀값"),
        ("最近大米", "大米"),
        ("现在大米", "大米"),
    ],
)
def test_latest_means_no_period(text, rest):
    assert extract_period(text, today=TODAY) == (rest, None, None)


@pytest.mark.parametrize(
    "text",
    [
        "rice 2000 won",  # a price, not a year
        "rice $2000",
        "2000원",
        "2000元",
        "rice 2000 kg",
        "rice 2,023",
        "rice 1985",  # a bare number outside 1990-2100 is not read as a year
        "rice 3000",
        "rice may",  # "may" alone is too often a verb
        "rice in hyesan",
        "from hyesan",
        "7일",  # a day of the month without a month
        "lingzhi hyesan",
    ],
)
def test_words_that_are_not_times_are_left_alone(text):
    assert extract_period(text, today=TODAY) == (text, None, None)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rice in the year 3000", "I can't look up prices in the year 3000."),
        ("rice in 3000", "I can't look up prices in the year 3000."),
        ("rice 2030", "I can't look up prices in the year 2030."),
        ("since 2030", "I can't look up prices in the year 2030."),
        ("3000년", "I can't look up prices in the year 3000."),
        ("in 1850", "I can't look up prices in the year 1850: my figures start in 1990."),
        ("until 1985", "I can't look up prices in the year 1985: my figures start in 1990."),
        ("March 2027", "I can't look up prices for March 2027: it is in the future."),
        ("next month", "I can't look up prices in the future."),
        ("tomorrow", "I can't look up prices in the future."),
        ("내년", "I can't look up prices in the future."),
        ("明年", "I can't look up prices in the future."),
        ("rice in Smarch", "“in Smarch” is not a time I understand."),
        ("2024-13", "“2024-13” is not a time I understand."),
        ("2024-02-30", "“2024-02-30” is not a real date."),
        ("13월", "“13월” is not a time I understand."),
        ("13月", "“13月” is not a time I understand."),
        ("past 0 days", "“past 0 days” is not a time I understand."),
        ("2023 and 2024", "Please ask about one time at a time (I read “2023” and “2024”)."),
    ],
)
def test_times_that_cannot_be_used_are_explained(text, problem):
    _rest, period, found = extract_period(text, today=TODAY)
    assert period is None and found == problem


def test_the_time_words_are_removed_from_what_is_left():
    assert extract_period("rice in Smarch", today=TODAY)[0] == "rice"
    assert extract_period("corn hyesan since 2021", today=TODAY)[0] == "corn hyesan"
    assert extract_period("  ", today=TODAY) == ("", None, None)


COMMODITIES = Resolver(
    [
        Entry(1, "rice", "rice", (Name("쌀", "ko"), Name("大米", "zh"))),
        Entry(2, "corn", "corn", (Name("옥수수", "ko"), Name("玉米", "zh"))),
    ]
)
MARKETS = Resolver(
    [
        Entry(10, "hyesan", "Hyesan", (Name("혜산", "ko"), Name("惠山", "zh"))),
        Entry(12, "pyongyang", "Pyongyang", (Name("평양", "ko"), Name("平壤", "zh"))),
    ]
)


@pytest.mark.parametrize(
    ("text", "commodity", "market", "label"),
    [
        ("corn hyesan since 2021", "corn", "hyesan", "since 2021"),
        ("평양 옥수수 지난달", "corn", "pyongyang", "last month (Oct 2026)"),
        ("去年惠山大米价格", "rice", "hyesan", "last year (2025)"),
        ("rice", "rice", None, None),
    ],
)
def test_questions_carry_their_period(text, commodity, market, label):
    parsed = parse_query(text, commodities=COMMODITIES, markets=MARKETS, today=TODAY)
    assert parsed.commodity.match is not None and parsed.commodity.match.entry.slug == commodity
    assert (parsed.market.match.entry.slug if parsed.market else None) == market
    assert (parsed.period.label if parsed.period else None) == label
    assert parsed.period_problem is None


def test_a_question_with_an_unusable_time_still_names_its_good():
    parsed = parse_query(
        "rice in the year 3000", commodities=COMMODITIES, markets=MARKETS, today=TODAY
    )
    assert parsed.commodity.match is not None and parsed.commodity.match.entry.slug == "rice"
    assert parsed.period is None
    assert parsed.period_problem == "I can't look up prices in the year 3000."


def test_without_today_no_time_is_read():
    parsed = parse_query("rice last month", commodities=COMMODITIES, markets=MARKETS)
    assert parsed.period is None and parsed.period_problem is None

"""Every date a user can type is read inside the bounds, or refused with a message: never a crash.

A sweep of date expressions in English, Korean and Chinese with extreme numbers (years 0-99999,
months 0-99, days 0-99, counts up to 10^50, negative numbers, reversed ranges) goes through the
readers of questions (`extract_period`) and of entries (`read_date`, `PartialDate.parse`, the one-
line price and report entries).
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from bot.domain.dates import FIRST_DATE, PartialDate, last_date
from bot.domain.entry import parse_price_entry, parse_report_entry, read_date
from bot.domain.errors import DomainError, InvalidInput
from bot.domain.matching import Entry, Name, Resolver
from bot.domain.periods import Period, extract_period

TODAY = date(2026, 11, 28)
# A Saturday late in the year, New Year's Eve, New Year's Day and a leap day.
TODAYS = (TODAY, date(2026, 12, 31), date(2027, 1, 1), date(2028, 2, 29))

YEARS = ("0", "0000", "0001", "1", "99", "0999", "1000", "1850", "1899", "1900", "1989", "1990")
YEARS += ("2024", "2026", "2027", "2028", "2100", "3000", "9998", "9999", "10000", "99999", "-1")
YEARS += ("-2024",)
MONTHS = ("0", "00", "1", "01", "02", "12", "13", "99", "-1")
DAYS = ("0", "00", "1", "28", "29", "30", "31", "32", "99")
MONTH_WORDS = ("Dec", "December", "jan", "Feb.", "Smarch")
COUNTS = ("0", "1", "99", "126", "127", "999", "1000", "46000", "99999", "100000", "99999999")
COUNTS += ("-5", "1" + "0" * 50)
HAN_COUNTS = ("一", "十", "九十九")
WORDS = ("", "since ", "before ", "after ", "until ", "in ", "from ", "during ", "between ")
WORDS += ("till ", "of ", "over ", "up to ")
AFTER_WORDS = ("", "부터", "이후", "까지", "이전", "以来", "以前", "到", " onwards")


def _dates() -> list[str]:
    found: list[str] = []
    for year in YEARS:
        found += [
            year,
            f"{year}년",
            f"{year}年",
            f"the year {year}",
            f"{year}년도",
            f"公元{year}年",
        ]
        for month in MONTHS:
            found += [f"{year}-{month}", f"{year}/{month}", f"{year}.{month}"]
            found += [f"{year}년 {month}월", f"{year}年{month}月", f"公元{year}年{month}月"]
        for word in MONTH_WORDS:
            found += [f"{word} {year}", f"{year} {word}"]
            found += [f"{day} {word} {year}" for day in DAYS[::2]]
            found += [f"{word} {day}, {year}" for day in DAYS[1::2]]
        for day in DAYS:
            found += [f"{year}-12-{day}", f"{year}-02-{day}", f"{year}년 12월 {day}일"]
            found += [f"{year}年12月{day}日", f"{year}年2月{day}号"]
    return found


def _spans() -> list[str]:
    found: list[str] = []
    for count in COUNTS:
        for unit in ("days", "weeks", "months", "years"):
            found += [f"last {count} {unit}", f"over the last {count} {unit}"]
            found += [f"in the next {count} {unit}", f"the past {count} {unit}"]
        for unit in ("일", "주", "주일", "개월", "달", "년"):
            found += [f"지난 {count}{unit}", f"최근 {count}{unit}간", f"{count}{unit} 동안"]
        for unit in ("天", "周", "个月", "年", "个星期"):
            found += [f"过去{count}{unit}", f"近{count}{unit}", f"最近{count}{unit}以来"]
    for count in HAN_COUNTS:
        found += [f"过去{count}年", f"近{count}个月", f"{count}月"]
    return found


def _ranges() -> list[str]:
    ends = ("0001", "1850", "1900", "2020", "2024", "2027", "2028", "9999")
    found: list[str] = []
    for first in ends:
        for last in ends:
            found += [f"{first}-{last}", f"from {first} to {last}", f"between {first} and {last}"]
            found += [
                f"{first}년부터 {last}년까지",
                f"{first}年到{last}年",
                f"{first}-12 to {last}-01",
            ]
            found += [f"since Dec {first} until Jan {last}", f"{first}.05 ~ {last}.06"]
    return found


def _random(count: int) -> list[str]:
    # Numbers of any size in the shapes above, drawn with a fixed seed.
    draw = random.Random(20261128)
    shapes = (
        "{y}-{m}",
        "{y}-{m}-{d}",
        "{d} Dec {y}",
        "{y}년 {m}월 {d}일",
        "{y}年{m}月",
        "last {n} days",
        "past {n} months",
        "지난 {n}년",
        "过去{n}天",
        "{y}-{y2}",
    )
    found = []
    for _ in range(count):
        number = lambda: str(draw.choice((draw.randint(0, 99), draw.randint(0, 99999))))  # noqa: E731
        found.append(
            draw.choice(shapes).format(y=number(), y2=number(), m=number(), d=number(), n=number())
        )
    return found


EXPRESSIONS = list(dict.fromkeys([*_dates(), *_spans(), *_ranges(), *_random(1500)]))
QUESTIONS = [f"rice {word}{text}" for text in EXPRESSIONS for word in WORDS[:5]]
QUESTIONS += [f"{text}{after} 혜산 쌀" for text in EXPRESSIONS[::7] for after in AFTER_WORDS]
QUESTIONS += [f"lingzhi {WORDS[i % len(WORDS)]}{text} hyesan" for i, text in enumerate(EXPRESSIONS)]


def test_the_sweep_is_large():
    assert len(EXPRESSIONS) >= 2_000 and len(QUESTIONS) >= 10_000


def _check_period(period: Period, today: date) -> None:
    assert period.start is None or period.start >= FIRST_DATE, period
    assert period.end is not None and period.end <= min(today, last_date(today)), period
    assert period.start is None or period.start <= period.end, period
    assert period.label


@pytest.mark.parametrize("today", TODAYS)
def test_questions_read_a_time_inside_the_bounds_or_explain_it(today):
    failures = []
    for text in QUESTIONS:
        try:
            rest, period, problem = extract_period(text, today=today)
            assert isinstance(rest, str)
            assert (period is None) or (problem is None)
            if period is not None:
                _check_period(period, today)
            if problem is not None:
                assert problem.strip() and "None" not in problem, problem
        except Exception as exc:
            failures.append(f"{text!r}: {type(exc).__name__}: {exc}")
    assert failures == [], f"{len(failures)} failures, e.g. " + "; ".join(failures[:5])


@pytest.mark.parametrize("today", [*TODAYS, None])
def test_entry_dates_are_inside_the_bounds_or_refused(today):
    failures = []
    for text in EXPRESSIONS:
        for raw in (text, text.upper(), f"  {text} "):
            try:
                iso = read_date(raw, today=today)
                assert iso is None or isinstance(iso, str)
                for candidate in {raw, iso or raw}:
                    try:
                        parsed = PartialDate.parse(candidate, today=today)
                    except InvalidInput as exc:
                        assert exc.user_message.strip()
                        continue
                    assert parsed.value is not None and parsed.end is not None
                    assert FIRST_DATE <= parsed.value <= parsed.end
                    if today is not None:
                        assert parsed.value <= today
                    parsed.label(), parsed.iso(), parsed.age_days(TODAY)
            except Exception as exc:
                failures.append(f"{raw!r}: {type(exc).__name__}: {exc}")
    assert failures == [], f"{len(failures)} failures, e.g. " + "; ".join(failures[:5])


NAMES = Resolver(
    [
        Entry(1, "rice", "rice", (Name("쌀", "ko"), Name("大米", "zh"))),
        Entry(10, "hyesan", "Hyesan", (Name("혜산", "ko"), Name("惠山", "zh"))),
    ]
)


def test_one_line_entries_list_a_problem_for_any_date():
    failures = []
    for text in EXPRESSIONS[::3]:
        lines = (
            (parse_price_entry, f'rice hyesan 9000 KPW/kg {text} source:"Daily NK"'),
            (parse_price_entry, f"rice hyesan 9000 KPW/kg date:{text} reported:{text}"),
            (parse_report_entry, f'hyesan {text} border "Trucks crossed." source:"Daily NK"'),
            (parse_report_entry, f'hyesan date:{text} border "Trucks crossed." source:x'),
        )
        for parse, line in lines:
            try:
                draft = parse(line, commodities=NAMES, markets=NAMES, today=TODAY)
                if getattr(draft, "date", None) and not draft.problems:
                    parsed = PartialDate.parse(draft.date, today=TODAY)
                    assert parsed.value is None or FIRST_DATE <= parsed.value <= TODAY
            except InvalidInput:
                pass  # a price entry's date is checked again when the draft is validated
            except Exception as exc:
                failures.append(f"{line!r}: {type(exc).__name__}: {exc}")
    assert failures == [], f"{len(failures)} failures, e.g. " + "; ".join(failures[:5])


BOUNDS = "Dates run from 1900 to 2027: “{}” is outside them."


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("lingzhi since 9999-12", BOUNDS.format("9999-12")),
        ("rice Dec 9999", BOUNDS.format("Dec 9999")),
        ("rice 9999년 12월", BOUNDS.format("9999년 12월")),
        ("公元9999年12月大米", BOUNDS.format("公元9999年12月")),
        ("rice 0000-01", BOUNDS.format("0000-01")),
        ("rice since 0001", BOUNDS.format("0001")),
        ("rice from 0001 to 9999", BOUNDS.format("0001 to 9999")),
        ("rice between 1850 and 2024", BOUNDS.format("1850 and 2024")),
        ("rice from 2020 to 3000", BOUNDS.format("2020 to 3000")),
        ("rice since -2024", BOUNDS.format("-2024")),
        ("rice 0001-9999", BOUNDS.format("0001-9999")),
        ("rice since 1850", BOUNDS.format("1850")),
        ("rice after 1899-12-31", BOUNDS.format("1899-12-31")),
        ("rice before 2028", BOUNDS.format("2028")),
        ("rice until 9999", BOUNDS.format("9999")),
        ("rice 1 jan 2028", BOUNDS.format("1 jan 2028")),
        ("rice last 100000 years", BOUNDS.format("last 100000 years")),
        ("rice over the last 99999999 months", BOUNDS.format("the last 99999999 months")),
        ("rice past 127 years", BOUNDS.format("past 127 years")),
        ("rice 지난 999년", BOUNDS.format("지난 999년")),
        ("rice 过去999年", BOUNDS.format("过去999年")),
        ("rice last " + "9" * 60 + " days", BOUNDS.format("last " + "9" * 24 + "…")),
        # A plain year keeps the words it had; times inside the bounds too.
        ("rice before 0001", "I can't look up prices in the year 1: my figures start in 1990."),
        ("rice in 0000", "I can't look up prices in the year 0: my figures start in 1990."),
        ("rice in 9999", "I can't look up prices in the year 9999."),
        ("rice since 9999", "I can't look up prices in the year 9999."),
        ("9999년 쌀", "I can't look up prices in the year 9999."),
        ("rice in the next 5 years", "I can't look up prices in the future."),
        ("rice in the next 99999 years", "I can't look up prices in the future."),
        ("rice March 2027", "I can't look up prices for March 2027: it is in the future."),
        ("rice 2024-13", "“2024-13” is not a time I understand."),
        ("rice 2024-00", "“2024-00” is not a time I understand."),
        ("rice 2024-12-32", "“2024-12-32” is not a real date."),
        ("rice 2023-02-29", "“2023-02-29” is not a real date."),
        ("rice past 0 days", "“past 0 days” is not a time I understand."),
    ],
)
def test_times_outside_the_bounds_are_explained(text, problem):
    _rest, period, found = extract_period(text, today=TODAY)
    assert (period, found) == (None, problem)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("rice past 126 years", date(1900, 11, 29), TODAY),
        ("rice in the past 46000 days", date(1900, 12, 20), TODAY),
        ("rice last 1000 days", date(2024, 3, 4), TODAY),
        ("rice since 1900", FIRST_DATE, TODAY),
        ("rice from 1900-01-01 to 2000", FIRST_DATE, date(2000, 12, 31)),
        ("rice until 2027", None, TODAY),
        ("rice 2024-2020", date(2020, 1, 1), date(2024, 12, 31)),  # reversed: read in order
        ("rice 2024-12 to 2020-01", date(2020, 1, 1), date(2024, 12, 31)),
        ("rice since 1995 to 2000", date(1995, 1, 1), date(2000, 12, 31)),
    ],
)
def test_times_at_the_edges_of_the_bounds_are_read(text, start, end):
    _rest, period, problem = extract_period(text, today=TODAY)
    assert problem is None and period is not None
    assert (period.start, period.end) == (start, end)


def test_the_bounds_follow_today():
    assert last_date(TODAY) == date(2027, 12, 31)
    assert last_date(date(9999, 6, 1)) == date(9999, 12, 31)
    _rest, _period, problem = extract_period("rice Jan 2028", today=date(2027, 3, 1))
    assert problem == "I can't look up prices for January 2028: it is in the future."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9999-12", "“9999-12” is in the future."),
        ("0000", "“0000”: the year 0 is too early for a market report."),
        ("1899-12-31", "“1899-12-31”: the year 1899 is too early for a market report."),
        ("2024-00", "“2024-00” is not a real calendar date."),
        ("2024-12-32", "“2024-12-32” is not a real calendar date."),
        ("99999", "“99999” is not a date: use YYYY-MM-DD, YYYY-MM or YYYY."),
        ("-2024", "“-2024” is not a date: use YYYY-MM-DD, YYYY-MM or YYYY."),
    ],
)
def test_entry_dates_outside_the_bounds_are_refused(text, message):
    with pytest.raises(InvalidInput) as refused:
        PartialDate.parse(text, today=TODAY)
    assert refused.value.user_message == message
    assert isinstance(refused.value, DomainError)

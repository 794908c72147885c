"""Time expressions in questions: "last month", "since 2021", "2023년 3월", "去年".

How a four-digit number is read: after a time word (in, since, from, after, until, till, before,
during, between, of, "year") or with 년 / 年 it is always a year, so "in 3000" is refused rather
than ignored. Without one it is a year only when it lies in 1990-2100 and stands alone: not touching
a currency or unit ("2000 won", "$2000", "2000원", "2000 kg") and not part of a longer number.

Every day named must lie within the bounds of `bot.domain.dates` (1900 to the end of next year):
a time reaching outside them ("since 9999-12", "before 0001", "past 999 years") is explained, not
read, and no date arithmetic is done on it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.dates import FIRST_DATE, in_bounds, last_date, out_of_bounds
from bot.domain.text import MONTH_NAMES, month_of_word, number_of, shorten

EARLIEST = date(1990, 1, 1)
_HAN_NUMBER = "[一二两兩三四五六七八九十]{1,3}"
_ERA = r"(?:公元\s*)?"  # "AD" before a Chinese year: 公元2024年
# Not after / before a letter: English words need boundaries; Korean and Chinese have no spaces.
_WORD_START = r"(?<![^\W\d_])"
_WORD_END = r"(?![^\W\d_])"
_KINDS = {
    **dict.fromkeys(("since", "from", "starting", "starting from", "onward", "onwards"), "since"),
    **dict.fromkeys(("自从", "自從", "自", "从", "從", "부터", "이후", "이래", "起"), "since"),
    **dict.fromkeys(("以来", "以來", "以后", "以後", "至今"), "since"),
    **dict.fromkeys(("until", "till", "up to", "through", "까지", "为止", "為止", "到"), "until"),
    **dict.fromkeys(("before", "이전", "以前", "之前"), "before"),
    "after": "after",
}
_BEFORE_RE = re.compile(
    rf"(?i)(?P<word>{_WORD_START}(?:since|from|starting(?:\s+from)?|after|until|till|before|up\s+to"
    r"|through|between|in|during|for|of|on|last|past|over|within|throughout)|自从|自從|自|从|從|到|지난|저번)\s*$"
)
_AFTER_RE = re.compile(
    r"^\s*(?P<word>부터|이후|이래|以来|以來|以后|以後|起|至今|까지|이전|以前|之前|为止|為止"
    rf"|(?i:onwards?){_WORD_END})"
)
_RANGE_RE = re.compile(r"\s*(and|to|until|till|through|-|–|~|부터|에서|到|至|—)\s*", re.I)
_UNIT_AFTER_RE = re.compile(
    rf"(?i)\s*(?:won|kpw|usd|cny|rmb|yuan|dollars?|kg|kilos?|g|grams?|%|원|元|块|塊|달러|위안|근|斤){_WORD_END}"
)
_SPAN_WORD_RE = re.compile(rf"{_WORD_START}(over|during|within|throughout|in|for)\s*$", re.I)
_YEAR_WORD_RE = re.compile(
    rf"{_WORD_START}(?:in|since|from|after|until|till|before|during|between|of)\s*$", re.I
)
# The second year of "from 2020 to 3000" or "between 0001 and 9999" is a year too.
_RANGE_END_RE = re.compile(
    rf"{_WORD_START}(?:from|between)\s+\d{{4}}\s*(?:to|and|until|till|through)\s*$", re.I
)


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included; `start=None` reaches back without limit."""

    start: date | None
    end: date | None
    label: str


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    period: Period | None = None
    problem: str | None = None
    year: int | None = None  # set for a plain year, which problems name as "the year 3000"
    outside: bool = False  # the time reaches outside the dates that may be named


def _short(day: date) -> str:
    return f"{MONTH_NAMES[day.month - 1][:3]} {day.year}"


def _span_label(start: date, end: date) -> str:
    if start == end:
        return f"{end.day} {_short(end)}"
    if start.year != end.year:
        return f"{start.day} {_short(start)} – {end.day} {_short(end)}"
    if start.month != end.month:
        return f"{start.day} {MONTH_NAMES[start.month - 1][:3]} – {end.day} {_short(end)}"
    return f"{start.day}–{end.day} {_short(end)}"


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def _months_back(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, _month_end(year, month + 1).day))


def _year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), str(year))


def _month(year: int, month: int, today: date | None = None) -> Period | None:
    """Return a calendar month; without a year (`today` given) the latest one that has begun."""
    if not 1 <= month <= 12:
        return None
    if today is not None:
        year = today.year if month <= today.month else today.year - 1
    return Period(date(year, month, 1), _month_end(year, month), f"{MONTH_NAMES[month - 1]} {year}")


def _relative(unit: str, offset: int, today: date) -> Period:
    word = "this" if offset == 0 else "last"
    if unit == "week":
        monday = today - timedelta(days=today.weekday() + 7 * offset)
        end = monday + timedelta(days=6)
        return Period(monday, end, f"{word} week ({_span_label(monday, min(end, today))})")
    if unit == "month":
        first = _months_back(today.replace(day=1), offset)
        return Period(first, _month_end(first.year, first.month), f"{word} month ({_short(first)})")
    year = today.year - offset
    return Period(date(year, 1, 1), date(year, 12, 31), f"{word} year ({year})")


def _past(count: int | None, unit: str, today: date) -> Period | None:
    if not count:
        return None
    words = f"{count} {unit}s" if count > 1 else unit
    days = count * {"day": 1, "week": 7}.get(unit, 0)
    months = count * {"month": 1, "year": 12}.get(unit, 0)
    if days > (today - FIRST_DATE).days or months > 12 * (today.year - FIRST_DATE.year + 1):
        return Period(date.min, today, f"past {words}")  # reaches back too far: refused
    if unit == "day":
        start = today - timedelta(days=count - 1)
    elif unit == "week":
        start = today - timedelta(days=7 * count - 1)
    else:
        start = _months_back(today, months) + timedelta(days=1)
    return Period(start, today, f"past {words} ({_span_label(start, today)})")


Handler = Callable[[re.Match[str], str, date], "_Hit | None"]
_RULES: list[tuple[re.Pattern[str], Handler]] = []


def _rule(*patterns: str) -> Callable[[Handler], Handler]:
    # Rules are tried in the order they are defined: longer expressions before their parts.
    def register(handler: Handler) -> Handler:
        _RULES.extend((re.compile(p, re.IGNORECASE), handler) for p in patterns)
        return handler

    return register


def _read(m: re.Match[str], period: Period | None, group: int = 0, year: int | None = None) -> _Hit:
    if period is None:
        return _Hit(m.start(), m.end(), problem=f"“{m[0].strip()}” is not a time I understand.")
    return _Hit(m.start(group), m.end(group), period, year=year)


def _outside(m: re.Match[str], today: date, *years: int, year: int | None = None) -> _Hit | None:
    """Return a hit refusing the time when one of its years is outside the bounds, else None."""
    if all(in_bounds(y, today) for y in years):
        return None
    return _Hit(m.start(), m.end(), year=year, outside=True)


def _dated(m: re.Match[str], year: int, month: int, day: int) -> _Hit:
    try:
        value = date(year, month, day)
    except ValueError:
        return _Hit(m.start(), m.end(), problem=f"“{m[0].strip()}” is not a real date.")
    return _read(m, Period(value, value, _span_label(value, value)))


@_rule(
    r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)",
    rf"{_ERA}(?<!\d)(\d{{4}})\s*[년年]\s*(\d{{1,2}})\s*[월月]\s*(\d{{1,2}})\s*[일日号號]",
)
def _full_date(m: re.Match[str], text: str, today: date) -> _Hit | None:
    return _outside(m, today, int(m[1])) or _dated(m, int(m[1]), int(m[2]), int(m[3]))


@_rule(r"(?<![\d.,])(\d{4})\s*[-–~]\s*(\d{4})(?![\d.,])")
def _year_range(m: re.Match[str], text: str, today: date) -> _Hit | None:
    first, last = sorted((int(m[1]), int(m[2])))
    if outside := _outside(m, today, first, last):
        return outside
    span = Period(date(first, 1, 1), date(last, 12, 31), f"{first} to {last}")
    return _read(m, span, year=first)


@_rule(
    r"(?<![\d.,])(\d{4})[-/.](\d{1,2})(?![\d.,])",
    rf"{_ERA}(?<!\d)(\d{{4}})\s*[년年]\s*(\d{{1,2}}|{_HAN_NUMBER})\s*[월月]份?",
)
def _year_month(m: re.Match[str], text: str, today: date) -> _Hit | None:
    return _outside(m, today, int(m[1])) or _read(m, _month(int(m[1]), number_of(m[2]) or 0))


@_rule(
    rf"{_ERA}(?<!\d)(\d{{4}})\s*(?:년도?|年份?|年度)",
    rf"{_WORD_START}(?:the\s+)?year\s+(\d{{4}})(?!\d)",
)
def _marked_year(m: re.Match[str], text: str, today: date) -> _Hit | None:
    return _outside(m, today, int(m[1]), year=int(m[1])) or _read(
        m, _year(int(m[1])), year=int(m[1])
    )


@_rule(
    rf"{_WORD_START}(?:the\s+)?(past|last|previous|recent|this|current)\s+(?:(\d+|an?|one|two"
    rf"|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+)?(day|week|month|year)s?{_WORD_END}"
)
def _english_relative(m: re.Match[str], text: str, today: date) -> _Hit | None:
    word, unit = m[1].lower(), m[3].lower()
    # "over the last year" is the twelve months up to today; "last year" alone is the calendar year.
    before = _SPAN_WORD_RE.search(text[: m.start()])
    spanning = (
        word != "this"
        and before is not None
        and (before[1].lower() != "in" or m[0].lower().startswith("the"))
    )
    if m[2] or word in ("past", "recent") or unit == "day" or spanning:
        count = number_of(m[2] or "1") if len(m[2] or "") <= 9 else 10**9  # never a huge int
        return _read(m, _past(count, unit, today))
    return _read(m, _relative(unit, 0 if word in ("this", "current") else 1, today))


_UNITS = {"일": "day", "天": "day", "日": "day", "주": "week", "주일": "week", "周": "week"}
_UNITS |= {"週": "week", "星期": "week", "개월": "month", "달": "month", "月": "month"}
_UNITS |= {"년": "year", "年": "year"}


@_rule(
    r"(?:(지난|최근|과거)\s*)?(?<!\d)(\d{1,3}|한|두|세|네)\s*(일|주일|주|개월|달|년)\s*(간|동안)?"
)
def _korean_past(m: re.Match[str], text: str, today: date) -> _Hit | None:
    if not (m[1] or m[4] or m[3] == "개월"):
        return None  # "7일" alone is a day of the month, not a week
    return _read(m, _past(number_of(m[2]), _UNITS[m[3]], today))


@_rule(
    rf"(?:(过去|過去|最近|近)\s*)?(?<!\d)(\d{{1,3}}|{_HAN_NUMBER})\s*(个|個)?\s*(天|日|周|週|星期|月|年)"
    r"(?:以来|以來|来|來|内|內)?"
)
def _chinese_past(m: re.Match[str], text: str, today: date) -> _Hit | None:
    if not (m[1] or (m[3] and m[4] in ("月", "星期"))):
        return None  # 三月 is March; 三个月 and 近三个月 are spans
    return _read(m, _past(number_of(m[2]), _UNITS[m[4]], today))


@_rule(
    rf"{_WORD_START}(?:tomorrow|next\s+(?:\d+\s+)?(?:day|week|month|year)s?){_WORD_END}"
    r"|내일|다음\s*주|다음\s*달|내년|明天|下周|下星期|下个月|下個月|下月|明年"
)
def _ahead(m: re.Match[str], text: str, today: date) -> _Hit | None:
    return _Hit(m.start(), m.end(), problem="I can't look up prices in the future.")


_DAYS_AGO = {"yesterday": 1, "어제": 1, "昨天": 1, "昨日": 1, "today": 0, "todays": 0}
_DAYS_AGO |= {"tonight": 0, "오늘": 0, "今天": 0, "今日": 0}
_CJK_RELATIVE = {
    **dict.fromkeys(("지난주", "저번주", "上周", "上星期", "上个星期", "上個星期"), ("week", 1)),
    **dict.fromkeys(("이번주", "本周", "这周", "這周", "本星期", "这个星期"), ("week", 0)),
    **dict.fromkeys(("這個星期",), ("week", 0)),
    **dict.fromkeys(("이번달", "本月", "这个月", "這個月"), ("month", 0)),
    **dict.fromkeys(("지난달", "저번달", "上个月", "上個月", "上月"), ("month", 1)),
    **dict.fromkeys(("작년", "지난해", "去年"), ("year", 1)),
    **dict.fromkeys(("올해", "금년", "今年"), ("year", 0)),
    **dict.fromkeys(("재작년", "前年"), ("year", 2)),
}
_CJK_NAMED = sorted({*_CJK_RELATIVE, "어제", "오늘", "昨天", "昨日", "今天", "今日"}, key=len)[::-1]


@_rule(
    rf"{_WORD_START}(?:yesterday|today(?:'s|’s|s)?|tonight){_WORD_END}|"
    + "|".join(r"\s*".join(word) for word in _CJK_NAMED)  # Korean may space them: 지난 달
)
def _named(m: re.Match[str], text: str, today: date) -> _Hit | None:
    word = re.sub(r"\s+|'s|’s", "", m[0].lower())
    if word in _DAYS_AGO:
        day = today - timedelta(days=_DAYS_AGO[word])
        name = "yesterday" if _DAYS_AGO[word] else "today"
        return _read(m, Period(day, day, f"{name} ({_span_label(day, day)})"))
    unit, offset = _CJK_RELATIVE[word]
    if offset == 2:
        return _read(m, _year(today.year - 2), year=today.year - 2)
    return _read(m, _relative(unit, offset, today))


@_rule(
    rf"{_WORD_START}(?:(\d{{1,2}})\s+)?([a-z]{{3,12}})\.?(?:\s+(\d{{1,2}}))?,?\s+(\d{{4}})(?!\d)"
)
def _month_and_year(m: re.Match[str], text: str, today: date) -> _Hit | None:
    month, day = month_of_word(m[2]), m[1] or m[3]
    if month is None or month < 0:
        return None if month is None else _read(m, None)
    if outside := _outside(m, today, int(m[4])):
        return outside
    return _dated(m, int(m[4]), month, int(day)) if day else _read(m, _month(int(m[4]), month))


@_rule(r"(?<!\d)(\d{4})\s+([a-z]{3,12})" + _WORD_END)
def _year_and_month(m: re.Match[str], text: str, today: date) -> _Hit | None:
    month = month_of_word(m[2])
    if month is None or month < 0:
        return None
    return _outside(m, today, int(m[1])) or _read(m, _month(int(m[1]), month))


@_rule(
    r"(?<!\d)(\d{1,2})\s*월(?!요일)", rf"(?<![\d个個本上下这這年])(\d{{1,2}}|{_HAN_NUMBER})\s*月份?"
)
def _cjk_month(m: re.Match[str], text: str, today: date) -> _Hit | None:
    return _read(m, _month(0, number_of(m[1]) or 0, today))


@_rule(
    rf"{_WORD_START}(in|since|from|during|until|till|before|after|last|of)\s+([a-z]{{3,12}}){_WORD_END}",
    # Full month names stand alone too, except "may", which is more often a verb.
    rf"{_WORD_START}()(january|february|march|april|june|july|august|september|october|november"
    rf"|december){_WORD_END}",
)
def _month_after_word(m: re.Match[str], text: str, today: date) -> _Hit | None:
    month = month_of_word(m[2])
    if month is None:
        return None
    return _read(m, _month(0, month, today) if month > 0 else None, group=2)


@_rule(r"(?<![\d.,$₩¥€£])(\d{4})(?![\d]|[.,]\d)")
def _bare_year(m: re.Match[str], text: str, today: date) -> _Hit | None:
    year, before, unit = int(m[1]), text[: m.start()], _UNIT_AFTER_RE.match(text[m.end() :])
    marked = _YEAR_WORD_RE.search(before) or (_RANGE_END_RE.search(before) and not unit)
    if before.endswith(("-", "−")) and _YEAR_WORD_RE.search(before[:-1]):
        return _Hit(m.start() - 1, m.end(), outside=True)  # "since -2024": a year below zero
    if not marked and (not 1990 <= year <= 2100 or unit):
        return None
    return _outside(m, today, year, year=year) or _read(m, _year(year), year=year)


@_rule(
    rf"{_WORD_START}(?:latest|newest|right\s+now|now|current|currently|recent|recently|these\s+days"
    rf"|at\s+the\s+moment|at\s+present){_WORD_END}|최근|요즘|요새|지금|현재|최신|最近|现在|現在"
    r"|目前|当前|當前|最新|近期"
)
def _latest(m: re.Match[str], text: str, today: date) -> _Hit | None:
    return _Hit(m.start(), m.end())  # the latest figures are the default: nothing to narrow


def extract_period(text: str, *, today: date) -> tuple[str, Period | None, str | None]:
    """Remove the time words from a question; return the rest, the period and any problem."""
    text = unicodedata.normalize("NFKC", text)
    masked = text
    hits: list[_Hit] = []
    for pattern, handler in _RULES:
        found = [h for h in (handler(m, masked, today) for m in pattern.finditer(masked)) if h]
        for h in found:
            masked = masked[: h.start] + " " * (h.end - h.start) + masked[h.end :]
        hits.extend(found)
    hits = sorted((_bounded(h, today) for h in hits), key=lambda h: h.start)
    results, cuts = _combine(text, hits, today)
    rest = text
    for start, end in sorted(cuts, reverse=True):
        rest = rest[:start] + " " + rest[end:]
    rest = re.sub(r"\s+", " ", rest).strip()
    problems = [r for r in results if isinstance(r, str)]
    periods = [r for r in results if isinstance(r, Period)]
    if problems:
        return rest, None, problems[0]
    if len(periods) > 1:
        labels = " and ".join(f"“{p.label}”" for p in periods)
        return rest, None, f"Please ask about one time at a time (I read {labels})."
    return rest, (periods[0] if periods else None), None


def _bounded(hit: _Hit, today: date) -> _Hit:
    # Spans counted back from today ("past 999 years") may reach outside the bounds too.
    period = hit.period
    if period is None or (
        (period.start is None or period.start >= FIRST_DATE)
        and (period.end is None or period.end <= last_date(today))
    ):
        return hit
    return _Hit(hit.start, hit.end, year=hit.year, outside=True)


def _combine(
    text: str, hits: list[_Hit], today: date
) -> tuple[list[Period | str], list[tuple[int, int]]]:
    # Attach "since", "until", "부터", "以来"… and join "between 2020 and 2022" into one span.
    results: list[Period | str] = []
    cuts: list[tuple[int, int]] = []
    index, previous_end = 0, 0
    while index < len(hits):
        current = hits[index]
        before = _BEFORE_RE.search(text[previous_end : current.start])
        word = re.sub(r"\s+", " ", before["word"].lower()) if before else ""
        start = previous_end + before.start() if before else current.start
        end, ranged = current.end, False
        following = hits[index + 1] if index + 1 < len(hits) else None
        if following and (current.period or current.outside):
            link = _RANGE_RE.fullmatch(text[current.end : following.start])
            if (following.period or following.outside) and link:
                ranged = link[1].lower() != "and" or word == "between"
        if ranged and following and current.period and following.period:
            first, last = sorted((current.period, following.period), key=_earliest)
            label = f"{first.label} to {last.label}"
            current = _Hit(current.start, following.end, Period(first.start, last.end, label))
        elif ranged and following:
            # One end outside the bounds ("from 0001 to 9999"): the whole range is refused.
            current = _Hit(current.start, following.end, outside=True)
        if ranged:
            end = current.end
            index += 1
        next_start = hits[index + 1].start if index + 1 < len(hits) else len(text)
        after = _AFTER_RE.match(text[end:next_start])
        if after:
            end += after.end()
        cuts.append((start, end))
        modifier = _KINDS.get(word) or _KINDS.get(after["word"].lower() if after else "", "")
        if current.problem is not None:
            results.append(current.problem)
        elif current.outside:
            what = shorten(text[current.start : current.end].strip(), 30)
            kind = "between" if word == "between" else modifier
            results.append(_refused(what, current.year, kind, today))
        elif current.period is not None:
            results.append(
                _checked(current.period, current.year, "" if ranged else modifier, today)
            )
        previous_end = end
        index += 1
    return results, cuts


def _earliest(period: Period) -> date:
    return period.start or date.min


def _refused(what: str, year: int | None, kind: str, today: date) -> str:
    # A plain year keeps the words of the refusals below; any other time names the bounds.
    if year is not None and year > today.year and kind not in ("until", "before"):
        return f"I can't look up prices in the year {year}."
    if year is not None and year < FIRST_DATE.year and kind in ("", "until", "before"):
        return f"I can't look up prices in the year {year}: my figures start in {EARLIEST.year}."
    return out_of_bounds(what, today)


def _checked(period: Period, year: int | None, kind: str, today: date) -> Period | str:
    # Apply the modifier, then refuse the future and the years before any figures exist.
    if kind == "since" and period.start is not None:
        period = Period(period.start, today, f"since {period.label}")
    elif kind == "after" and period.end is not None:
        period = Period(period.end + timedelta(days=1), today, f"after {period.label}")
    elif kind == "until":
        period = Period(None, period.end, f"until {period.label}")
    elif kind == "before" and period.start is not None:
        period = Period(None, period.start - timedelta(days=1), f"before {period.label}")
    what = f"in the year {year}" if year is not None else f"for {period.label}"
    if period.start is not None and period.start > today:
        return f"I can't look up prices {what}{'' if year else ': it is in the future'}."
    if period.end is not None and period.end < EARLIEST:
        return f"I can't look up prices {what}: my figures start in 1990."
    if period.end is not None and period.end > today:
        period = Period(period.start, today, period.label)
    return period

"""The admin's one-line price entry: names, price, currency and unit, date, then key:value options.

    lingzhi hyesan 500-1200 CNY/kg 2024-11 grade:"good quality" source:"Daily NK" rel:B2

The line becomes a draft of raw strings that `draft_to_row` hands to `price_record_from_row`, so a
figure typed in chat and a row imported from a CSV file pass the same validator.

The one-line report entry is read the same way: the place, then in any order a date, topic words,
key:value options and the summary in quotes.

    sinuiju 2025-09 border transport border:partially-open channel:truck goods:"rice;sugar"
    "Trucks crossed the Friendship Bridge again." source:"Daily NK" rel:B3

`report_draft_to_row` hands it to `trade_report_from_row`, the validator of report files.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from bot.domain import conditions
from bot.domain.conditions import CHANNELS, DIRECTIONS, MARKET_ACTIVITY, TOPICS
from bot.domain.dates import PartialDate
from bot.domain.errors import InvalidInput
from bot.domain.matching import Resolution, Resolver
from bot.domain.query import parse_query
from bot.domain.records import (
    MAX_SUMMARY,
    parse_border_status,
    parse_channel,
    parse_goods,
    parse_reliability,
    parse_url,
)
from bot.domain.text import month_of_word, shorten
from bot.domain.units import CURRENCIES, parse_unit

# Phone keyboards turn straight quotes into curly ones; any quote of a family closes any other.
_DOUBLE_QUOTES, _SINGLE_QUOTES = '"“”„‟«»', "'‘’‚‛"
_DASHES = "-–—~〜"  # NFKC has already turned the full-width ～ into ~
_NUM = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
_AMOUNT_RE = re.compile(rf"^(-?)([$¥₩€₽])?({_NUM})(?:[{_DASHES}]({_NUM}))?([{_DASHES}]?)(.*)$")
# YYYY-MM(-DD) is never a price: as a range it would run backwards. With a dot only 01-12 make a
# month (2024.11), so that 2000.5 and 1999.50 stay prices.
_DATE_SHAPE_RE = re.compile(
    r"^(?:19|20)[0-9]{2}(?:[-/][0-9]{1,2}(?:[-/][0-9]{1,2})?|\.(?:0[1-9]|1[0-2])(?:\.[0-9]{1,2})?)$"
)
_NUMERIC_DATE_RE = re.compile(r"^(\d{4})(?:[-./](\d{1,2})(?:[-./](\d{1,2}))?)?$")
_CJK_DATE_RE = re.compile(
    r"^(\d{4})\s*[년年](?:\s*(\d{1,2})\s*[월月](?:\s*(\d{1,2})\s*[일日号])?)?$"
)
_WORD_DATE_RE = re.compile(r"^(?:(\d{1,2}) )?([a-z]+)\.? (?:(\d{1,2})(?:st|nd|rd|th)?,? )?(\d{4})$")
_RELATIVE_DAYS = {"today": 0, "오늘": 0, "今天": 0, "yesterday": 1, "어제": 1, "昨天": 1}
_OPTION_RE = re.compile(r"^([^\W\d_][\w-]*)[:=]")
_OPTION_KEYS = {
    **dict.fromkeys(("grade", "quality", "등급"), "grade"),
    **dict.fromkeys(("source", "src", "출처"), "source"),
    **dict.fromkeys(("url", "link", "링크"), "url"),
    **dict.fromkeys(("rel", "reliability", "신뢰도"), "reliability"),
    **dict.fromkeys(("type", "pricetype", "price_type", "price-type", "유형"), "price_type"),
    **dict.fromkeys(("note", "notes", "메모"), "note"),
    **dict.fromkeys(("reported", "published", "보도"), "reported"),
    **dict.fromkeys(("date", "on", "날짜"), "date"),
}
_OPTIONS_HELP = "grade:, source:, url:, rel:, type:, note:, reported: or date:"
# Unquoted words after one of these continue its value: source:Daily NK needs no quotes.
_TEXT_OPTIONS = ("grade", "source", "note", "price_type")
_SYMBOLS = {"$": "USD", "¥": "CNY", "₩": "KPW", "€": "EUR", "₽": "RUB"}
_CURRENCY_WORDS = {
    **{code.casefold(): code for code in CURRENCIES},
    **{k.casefold(): v for k, v in _SYMBOLS.items()},
    **dict.fromkeys(("won", "원", "북한원"), "KPW"),
    **dict.fromkeys(("yuan", "rmb", "元", "块", "위안", "위안화", "인민폐", "人民币"), "CNY"),
    **dict.fromkeys(("dollar", "dollars", "us$", "달러", "딸라", "美元"), "USD"),
}
# Longer names are a sentence, and slow to resolve (time grows with the cube of a Korean or Chinese
# text's length); the longest real pair is about 60 letters, or 20 Hangul or Chinese characters.
_MAX_NAME_WORDS, _MAX_NAME_CHARS, _MAX_CJK_CHARS = 10, 80, 30
_OPTION_FIELDS = ("date", "grade", "source", "url", "reliability", "price_type", "note", "reported")
_REQUIRED = {"commodity": "commodity_text", "market": "market_text"} | {
    name: name for name in ("price", "currency", "unit", "source")
}
# Row column -> draft field.
_ROW_COLUMNS = {"source_url": "url", "pricetype": "price_type", "reported_date": "reported"} | {
    name: name
    for name in ("price", "currency", "unit", "date", "grade", "source", "reliability", "note")
}
_nfkc = partial(unicodedata.normalize, "NFKC")


@dataclass(frozen=True)
class PriceDraft:
    """What a one-line entry says, as raw text, with the names resolved and what went wrong."""

    names: str
    commodity_text: str | None
    market_text: str | None
    commodity: Resolution
    market: Resolution | None
    price: str | None = None
    currency: str | None = None
    unit: str | None = None
    date: str | None = None
    grade: str | None = None
    source: str | None = None
    url: str | None = None
    reliability: str | None = None
    price_type: str | None = None
    note: str | None = None
    reported: str | None = None
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Word:
    text: str
    bare: str  # the part before the first quote, where an option key may stand
    quoted: bool  # a quoted word is always a name, never a price


def parse_price_entry(
    text: str, *, commodities: Resolver, markets: Resolver, today: date
) -> PriceDraft:
    """Read the text after /addprice into a draft; never raise, list the problems instead."""
    words, problems = _words(text)
    options, positional = _sort_words(words, problems)
    at = next((i for i, w in enumerate(positional) if _is_price(w)), len(positional))
    names = " ".join(w.text for w in positional[:at])
    price = currency = unit = None
    if at < len(positional):
        symbol, price, dash, attached = _amount(positional[at].text)  # type: ignore[misc]
        following = [w.text for w in positional[at + 1 :]]
        if price.startswith("-"):
            problems.append(f"The price {price} is below zero; a price must be above zero.")
        if "-" not in price and not attached:
            price, attached, following = _merge_range(price, dash, following)
        currency, unit, when, problem = _read_tail([attached, *following], price=price, today=today)
        if symbol and currency and symbol != currency:
            problem = f"Two currencies: {symbol} and {currency}; keep the one reported."
        currency = symbol or currency
        problems.extend([problem] if problem else [])
        if when:
            _set_option(options, "date", when, problems)
    elif text.strip():
        problems.append("No price found: write it after the names, like 500, 500-1200 or 8,130.")
    for field in ("date", "reported"):
        if options.get(field):
            options[field] = read_date(options[field], today=today) or options[field]
    commodity_text, market_text, commodity, market = _resolve(names, commodities, markets, problems)
    return PriceDraft(
        names, commodity_text, market_text, commodity, market, price, currency, unit,
        **{field: options.get(field) or None for field in _OPTION_FIELDS},
        problems=tuple(problems),
    )  # fmt: skip


def missing_fields(draft: PriceDraft) -> list[str]:
    """Return the fields the admin still has to give, in the order a guided entry asks for them."""
    return [name for name, attr in _REQUIRED.items() if not getattr(draft, attr)]


def draft_to_row(draft: PriceDraft, *, commodity_slug: str, market_slug: str) -> dict[str, str]:
    """Build the row `price_record_from_row` validates, as a CSV import would give it."""
    row = {column: getattr(draft, attr) or "" for column, attr in _ROW_COLUMNS.items()}
    row.update(commodity=commodity_slug, market=market_slug, pricetype=row["pricetype"] or "retail")
    return row


def read_date(text: str, *, today: date | None = None) -> str | None:
    """Return a date written as 2024.11, Nov 2024, 3 Nov 2024 or 2024년 11월 as 2024-11(-03)."""
    raw = " ".join(_nfkc(text).split()).casefold()
    if today is not None and raw in _RELATIVE_DAYS:
        return (today - timedelta(days=_RELATIVE_DAYS[raw])).isoformat()
    if match := _NUMERIC_DATE_RE.match(raw) or _CJK_DATE_RE.match(raw):
        year, month, day = match.groups()
    elif match := _WORD_DATE_RE.match(raw):
        day_before, word, day_after, year = match.groups()
        number = month_of_word(word)
        if number is None or number < 1 or (day_before and day_after):
            return None
        month, day = str(number), day_before or day_after
    else:
        return None
    # Out-of-range months and days are kept, so the validator can say the date is not real.
    return "-".join([year, *(part.zfill(2) for part in (month, day) if part)])


def _words(text: str) -> tuple[list[_Word], list[str]]:
    """Split a line like a shell: quotes group words, and a quoted part may follow `key:`."""
    words: list[_Word] = []
    problems: list[str] = []
    chars: list[str] = []
    bare: str | None = None
    closers, opened_at = "", 0

    def flush() -> None:
        nonlocal bare
        if chars or bare is not None:
            joined = "".join(chars)
            words.append(_Word(joined, joined if bare is None else bare, bare is not None))
        chars.clear()
        bare = None

    for i, ch in enumerate(text):
        if closers:
            # An apostrophe inside a word (people’s) does not close a single quote.
            if ch in closers and (closers == _DOUBLE_QUOTES or not text[i + 1 : i + 2].isalnum()):
                closers = ""
            else:
                chars.append(ch)
        elif ch.isspace():
            flush()
        elif ch in _DOUBLE_QUOTES or (ch in _SINGLE_QUOTES and (not chars or chars[-1] in ":=")):
            closers = _DOUBLE_QUOTES if ch in _DOUBLE_QUOTES else _SINGLE_QUOTES
            opened_at = i
            if bare is None:
                bare = "".join(chars)
        else:
            chars.append(ch)
    if closers:
        after = shorten(text[opened_at + 1 :].strip(), 30)
        problems.append(f"The quote {text[opened_at]} before “{after}” is never closed.")
    flush()
    return words, problems


def _option(word: _Word) -> tuple[str, str] | tuple[None, None]:
    match = _OPTION_RE.match(word.bare)
    if match is None or word.text.casefold().startswith(("http://", "https://")):
        return None, None
    return match.group(1), word.text[match.end() :]


def _sort_words(words: list[_Word], problems: list[str]) -> tuple[dict[str, str], list[_Word]]:
    """Separate key:value options, bare web addresses and dates from the names and the price."""
    options: dict[str, str] = {}
    positional: list[_Word] = []
    current: str | None = None  # the text option that unquoted words go on filling
    price_seen, pending = False, words[::-1]
    while pending:
        word = pending.pop()
        key, value = _option(word)
        if key is not None and value is not None:
            field, current = _OPTION_KEYS.get(key.casefold()), None
            if field is None:
                problems.append(f"Unknown option “{shorten(key, 30)}:”. Use {_OPTIONS_HELP}.")
                continue
            if not value and not word.quoted:
                # "source: Daily" with a space after the colon, as phones like to type it.
                if not pending or _option(pending[-1])[0] is not None:
                    problems.append(f"The option {key}: has no value.")
                    continue
                value = pending.pop().text
            if _set_option(options, field, value.strip(), problems) and field in _TEXT_OPTIONS:
                current = field
            continue
        # Names are compared normalised anyway; this turns ５００ and ～ into 500 and ~.
        text = _nfkc(word.text)
        is_url = not word.quoted and text.casefold().startswith(("http://", "https://"))
        is_date = not word.quoted and bool(_DATE_SHAPE_RE.match(text))
        if current and price_seen and not (is_url or is_date or _amount(text) or _currency(text)):
            options[current] = f"{options[current]} {word.text}"
            continue
        current = None
        if is_url:
            _set_option(options, "url", word.text, problems)
        elif is_date:
            _set_option(options, "date", text, problems)
        else:
            positional.append(_Word(text, "", word.quoted))
            price_seen = price_seen or _is_price(positional[-1])
    return options, positional


def _set_option(options: dict[str, str], field: str, value: str, problems: list[str]) -> bool:
    if field in options:
        what = field.replace("_", " ")
        problems.append(f"The {what} is given twice: “{options[field]}” and “{value}”; keep one.")
        return False
    options[field] = value
    return True


def _is_price(word: _Word) -> bool:
    return not word.quoted and _amount(word.text) is not None


def _amount(word: str) -> tuple[str | None, str, str, str] | None:
    """Return (currency of a $ sign, amount, dangling dash, currency glued on) for a price word."""
    match = _AMOUNT_RE.match(_nfkc(word))
    if match is None:
        return None
    sign, symbol, low, high, dash, rest = match.groups()
    # 3-city, 2nd, 500kg, 500-kg: a name or a slip, not a price.
    if (dash and (high or rest)) or (rest and not (rest.startswith("/") or _currency(rest))):
        return None
    return _SYMBOLS.get(symbol or ""), sign + (f"{low}-{high}" if high else low), dash, rest


def _currency(text: str) -> str | None:  # CNY, 원, $/kg
    return _CURRENCY_WORDS.get(text.partition("/")[0].casefold())


def _merge_range(amount: str, dash: str, following: list[str]) -> tuple[str, str, list[str]]:
    """Join a range typed with spaces: 500 - 1200, 500 to 1200, 500 -1200, 500- 1200."""
    second, used = None, 0
    if dash and following:
        second, used = _amount(following[0]), 1
    elif len(following) > 1 and (following[0] in _DASHES or following[0].casefold() == "to"):
        second, used = _amount(following[1]), 2
    elif following and following[0][:1] in _DASHES:
        second, used = _amount(following[0][1:]), 1
    if second is None or second[0] or second[2] or "-" in second[1]:
        return amount, "", following
    return f"{amount}-{second[1]}", second[3], following[used:]


def _read_tail(parts: list[str], *, price: str, today: date) -> tuple[str | None, ...]:
    """Read what follows the price: currency, unit, date; return a problem for anything else."""
    parts = [p for p in parts if p]
    currency = _currency(parts[0]) if parts else None
    if currency:
        parts = ["".join(parts[0].partition("/")[1:]), *parts[1:]]  # CNY/kg leaves /kg
    parts, needs_unit = [p for p in parts if p], False
    if parts and parts[0].casefold() in ("per", "/"):
        parts, needs_unit = parts[1:], True
    elif parts and parts[0].startswith("/"):
        parts, needs_unit = [parts[0][1:], *parts[1:]], True
    unit, parts = _take_unit(parts, needs_unit, today)
    when = " ".join(parts)
    if not parts or read_date(when, today=today):
        return currency, unit, when or None, None
    if _amount(parts[0]) is not None:
        problem = (
            f"Two prices: “{price}” and “{shorten(parts[0], 30)}”. Write a range as 500-1200, "
            "and put a name that is a number in quotes."
        )
    else:
        problem = (
            f"I could not read “{shorten(when, 40)}” after the price: write the currency and unit "
            "(CNY/kg, KPW per 600 g, 원/kg), then the date (2024-11)."
        )
    return currency, unit, None, problem


def _take_unit(parts: list[str], needed: bool, today: date) -> tuple[str | None, list[str]]:
    """Take the longest run of words that is a unit and leaves a date or nothing behind."""
    if not parts or (not needed and read_date(" ".join(parts), today=today)):
        return None, parts
    for size in range(min(3, len(parts)), 0, -1):
        unit, rest = " ".join(parts[:size]), " ".join(parts[size:])
        if _is_unit(unit) and (not rest or read_date(rest, today=today)):
            return unit, parts[size:]
    if not needed:
        return None, parts
    # After "CNY/" or "per" the next words are the unit even when unknown: the validator says so.
    size = 2 if len(parts) > 1 and parts[0].replace(".", "", 1).isdigit() else 1
    return " ".join(parts[:size]), parts[size:]


def _is_unit(text: str) -> bool:
    try:
        return bool(parse_unit(text))
    except InvalidInput:
        return False


def _resolve(
    names: str, commodities: Resolver, markets: Resolver, problems: list[str]
) -> tuple[str | None, str | None, Resolution, Resolution | None]:
    words = names.split()
    if not words:
        return None, None, Resolution(query=""), None
    wide = sum(not ch.isascii() for ch in names)
    if len(words) > _MAX_NAME_WORDS or len(names) > _MAX_NAME_CHARS or wide > _MAX_CJK_CHARS:
        problems.append(f"“{shorten(names, 40)}” is too long: write just the commodity and market.")
        return None, None, Resolution(query=names), None
    # No `today`: a number among the names is part of a name, not a time to cut out.
    parsed = parse_query(names, commodities=commodities, markets=markets, intents=False)
    return parsed.commodity_text or None, parsed.market_text, parsed.commodity, parsed.market


# One-line report entry

_REPORT_KEYS = {
    **dict.fromkeys(("place", "where", "장소"), "place"),
    **dict.fromkeys(("date", "on", "날짜"), "date"),
    **dict.fromkeys(("topics", "topic", "주제"), "topics"),
    **dict.fromkeys(("border", "border_status", "border-status", "국경"), "border_status"),
    **dict.fromkeys(("direction", "dir", "방향"), "direction"),
    **dict.fromkeys(("channel", "via", "경로"), "channel"),
    **dict.fromkeys(
        ("market", "market_activity", "market-activity", "activity", "시장"), "market_activity"
    ),
    **dict.fromkeys(("goods", "commodities", "items", "품목"), "goods"),
    **dict.fromkeys(("enforcement", "crackdown", "단속"), "enforcement"),
    **dict.fromkeys(("summary", "text", "요약"), "summary"),
    **dict.fromkeys(("source", "src", "출처"), "source"),
    **dict.fromkeys(("url", "link", "링크"), "url"),
    **dict.fromkeys(("rel", "reliability", "신뢰도"), "reliability"),
}
_REPORT_OPTIONS_HELP = (
    "topics:, border:, direction:, channel:, market:, goods:, enforcement:, summary:, "
    "source:, url:, rel:, date: or place:"
)
# Unquoted words after one of these continue its value (source:Daily NK), up to the next option,
# quoted text, web address, date or topic word.
_REPORT_TEXT_OPTIONS = ("place", "source", "enforcement", "summary", "goods")
_DIRECTION_ALIASES = {"imports": "import", "exports": "export", "both-ways": "both"}
_MAX_DATE_WORDS = 4  # 14 Sep 2025, Sep 14, 2025, 2025년 9월 14일
_YEAR_START_RE = re.compile(r"^(?:19|20)[0-9]{2}")
_LIST_SPLIT_RE = re.compile(r"[,;，；]")
# As trade_report_from_row allows.
_MAX_ENFORCEMENT, _MAX_SOURCE = 500, 120


@dataclass(frozen=True)
class ReportDraft:
    """What a one-line report says, its values checked and in their stored form, and its problems."""

    place_text: str | None
    place: Resolution | None
    date: str | None = None
    topics: tuple[str, ...] = ()
    border_status: str | None = None
    direction: str | None = None
    channel: str | None = None
    market_activity: str | None = None
    goods: tuple[str, ...] = ()
    enforcement: str | None = None
    summary: str | None = None
    source: str | None = None
    url: str | None = None
    reliability: str | None = None
    problems: tuple[str, ...] = ()


def parse_report_entry(
    text: str, *, markets: Resolver, commodities: Resolver, today: date
) -> ReportDraft:
    """Read the text after /addreport into a draft; never raise, list every problem instead."""
    words, problems = _words(text)
    options, place_words, topics = _sort_report_words(words, markets, problems, today)
    if place_words and options.get("place"):
        problems.append(
            f"The place is given twice: “{shorten(' '.join(place_words), 40)}” and "
            f"“{shorten(options['place'], 40)}”; keep one."
        )
    place_text = options.pop("place", "") or " ".join(place_words) or None
    place = _resolve_place(place_text, markets, problems) if place_text else None
    topics.extend(_topics_of(options.pop("topics", ""), problems))
    values = _checked_report_values(options, problems, today)
    values["goods"] = resolve_goods(values.get("goods", ()), commodities)
    return ReportDraft(
        place_text=place_text,
        place=place,
        topics=tuple(dict.fromkeys(topics)),
        **values,
        problems=tuple(problems),
    )


def missing_report_fields(draft: ReportDraft) -> list[str]:
    """Return the fields a report still needs, of place, summary and source."""
    given = {"place": draft.place_text, "summary": draft.summary, "source": draft.source}
    return [name for name, value in given.items() if not value]


def report_draft_to_row(draft: ReportDraft, *, place_slug: str) -> dict[str, str]:
    """Build the row `trade_report_from_row` validates, as a report file would give it."""
    return {
        "place": place_slug,
        "date": draft.date or "",
        "topics": ";".join(draft.topics),
        "direction": draft.direction or "",
        "channel": draft.channel or "",
        "border_status": draft.border_status or "",
        "market_activity": draft.market_activity or "",
        "enforcement": draft.enforcement or "",
        "commodities": ";".join(draft.goods),
        "summary": draft.summary or "",
        "source": draft.source or "",
        "source_url": draft.url or "",
        "reliability": draft.reliability or "",
    }


def resolve_goods(goods: tuple[str, ...] | list[str], commodities: Resolver) -> tuple[str, ...]:
    """Write the goods the catalogue knows as their slug, so they link; keep others as written."""
    out: list[str] = []
    for name in goods:
        match = commodities.resolve(name).match
        good = match.entry.slug if match is not None else name
        if good.casefold() not in (g.casefold() for g in out):
            out.append(good)
    return tuple(out)


def split_goods(text: str) -> str:
    """Return goods separated by ',' or ';' (either is typed) as the ';' list files use."""
    return ";".join(_LIST_SPLIT_RE.split(text))


def read_topics(text: str) -> tuple[list[str], list[str]]:
    """Return the topics a text names (border,smuggling or border smuggling) and the words that
    are none."""
    found: list[str] = []
    unknown: list[str] = []
    for part in (p.strip() for p in _LIST_SPLIT_RE.split(text)):
        if not part:
            continue
        if (topic := conditions.topic(part)) is not None:
            found.append(topic)
            continue
        words = [conditions.topic(w) for w in part.split()]
        if len(words) > 1 and all(words):
            found.extend(t for t in words if t is not None)
        else:
            unknown.append(part)
    return found, unknown


def _sort_report_words(
    words: list[_Word], markets: Resolver, problems: list[str], today: date
) -> tuple[dict[str, str], list[str], list[str]]:
    """Sort the words into options, the place's words and topic words."""
    options: dict[str, str] = {}
    place: list[str] = []
    topics: list[str] = []
    stray: list[str] = []
    current: str | None = None  # the text option that unquoted words go on filling
    place_closed = False  # the first run of plain words is the place; anything else ends it
    pending = words[::-1]
    while pending:
        word = pending.pop()
        text = _nfkc(word.text)
        kind = _report_word(word, text, pending, markets, place, place_closed, today)
        if current is not None and kind in ("place", "stray"):
            kind = "more"
        else:
            current = None
        place_closed = place_closed or (bool(place) and kind != "place")
        if kind == "option":
            current = _report_option(word, pending, options, problems, today)
        elif kind == "summary":
            _set_summary(options, word.text.strip(), problems)
        elif kind == "url":
            _set_option(options, "url", word.text, problems)
        elif kind.startswith("date"):
            parts = [text, *(_nfkc(pending.pop().text) for _ in range(int(kind[4:]) - 1))]
            _set_option(options, "date", " ".join(parts), problems)
        elif kind.startswith("topic"):
            if kind == "topic2":
                text = f"{text} {_nfkc(pending.pop().text)}"
            topics.extend(read_topics(text)[0])
        elif kind == "more" and current is not None:
            options[current] = f"{options[current]} {word.text}"
        elif kind == "place":
            place.append(text)
        else:
            stray.append(text)
    if stray:
        problems.append(_stray_problem(stray))
    return options, place, topics


def _report_word(
    word: _Word,
    text: str,
    pending: list[_Word],
    markets: Resolver,
    place: list[str],
    place_closed: bool,
    today: date,
) -> str:
    """Tell what a word is: option, summary, url, dateN (N words), topic(2), more, place, stray."""
    if _option(word)[0] is not None:
        return "option"
    if word.quoted:
        return "summary"
    if text.casefold().startswith(("http://", "https://")):
        return "url"
    if (size := _date_size(text, pending, today)) is not None:
        return f"date{size}"
    following = _plain(pending[-1]) if pending else None
    if following is not None and conditions.topic(f"{text} {following}") is not None:
        return "topic2"  # market activity, exchange rate, food supply
    found, unknown = read_topics(text)
    # A place whose name holds a topic word (a "... market") keeps it.
    extends = bool(place) and not place_closed and bool(markets.exact(" ".join([*place, text])))
    if found and not unknown and not extends:
        return "topic"
    if place_closed or (_option_hint(text) is not None and not extends):
        return "stray"  # "hyesan closed" is not a place: border:closed was meant
    return "place"


def _plain(word: _Word) -> str | None:
    """Return an unquoted, plain word's text, or None for an option, a quote or an address."""
    if word.quoted or _option(word)[0] is not None:
        return None
    text = _nfkc(word.text)
    return None if text.casefold().startswith(("http://", "https://")) else text


def _date_size(text: str, pending: list[_Word], today: date) -> int | None:
    """Return how many words from this one make a date (Sep 2025 is two), or None."""
    texts = [text]
    for word in pending[::-1][: _MAX_DATE_WORDS - 1]:
        following = _plain(word)
        if following is None:
            break
        texts.append(following)
    for size in range(len(texts), 0, -1):
        if size == 1 and text[:1].isdigit() and not _YEAR_START_RE.match(text):
            return None  # 1200 or 3-city is not a date
        if read_date(" ".join(texts[:size]), today=today):
            return size
    return None


def _report_option(
    word: _Word, pending: list[_Word], options: dict[str, str], problems: list[str], today: date
) -> str | None:
    """Store one key:value option; return the field later plain words go on filling, if any."""
    key, value = _option(word)
    assert key is not None and value is not None
    field = _REPORT_KEYS.get(key.casefold())
    if field is None:
        problems.append(f"Unknown option “{shorten(key, 30)}:”. Use {_REPORT_OPTIONS_HELP}.")
        return None
    quoted = word.quoted
    if not value and not quoted:
        # "source: Daily NK" with a space after the colon, as phones like to type it.
        if not pending or _option(pending[-1])[0] is not None:
            problems.append(f"The option {key}: has no value.")
            return None
        following = pending.pop()
        value, quoted = following.text, following.quoted
    if field == "date" and not quoted:
        size = _date_size(_nfkc(value), pending, today) or 1
        value = " ".join([value, *(pending.pop().text for _ in range(size - 1))])
    if field == "summary":
        return field if _set_summary(options, value.strip(), problems) and not quoted else None
    if not _set_option(options, field, value.strip(), problems):
        return None
    return field if field in _REPORT_TEXT_OPTIONS and not quoted else None


def _set_summary(options: dict[str, str], value: str, problems: list[str]) -> bool:
    if not value:
        return False
    if "summary" in options:
        problems.append(
            f"Two summaries: “{shorten(options['summary'], 30)}” and “{shorten(value, 30)}”; "
            "put the whole summary in one pair of quotes."
        )
        return False
    options["summary"] = value
    return True


def _option_hint(word: str) -> str | None:
    """Return the option a bare vocabulary word was meant as (closed: border:closed), or None."""
    norm = conditions.normalise_word(word)
    if (status := conditions.border_status(word)) is not None:
        return f"border:{status}"
    if norm in MARKET_ACTIVITY:
        return f"market:{norm}"
    if norm in DIRECTIONS:
        return f"direction:{norm}"
    if norm in CHANNELS:
        return f"channel:{norm}"
    return None


def _stray_problem(stray: list[str]) -> str:
    hints = [hint for hint in map(_option_hint, stray) if hint is not None]
    hint = f" Did you mean {', '.join(hints)}?" if hints else ""
    return (
        f"I could not read “{shorten(' '.join(stray), 40)}”: the place comes first, the summary "
        f"goes in quotes and the rest are topics or options ({_REPORT_OPTIONS_HELP}).{hint}"
    )


def _resolve_place(text: str, markets: Resolver, problems: list[str]) -> Resolution | None:
    wide = sum(not ch.isascii() for ch in text)
    if len(text.split()) > _MAX_NAME_WORDS or len(text) > _MAX_NAME_CHARS or wide > _MAX_CJK_CHARS:
        problems.append(
            f"The place “{shorten(text, 40)}” is too long: write just the place, and the "
            "summary in quotes."
        )
        return None
    return markets.resolve(text)


def _topics_of(text: str, problems: list[str]) -> list[str]:
    found, unknown = read_topics(text)
    for word in unknown:
        problems.append(f"“{shorten(word, 30)}” is not a topic; use one of: {', '.join(TOPICS)}.")
    return found


def _checked_report_values(
    options: dict[str, str], problems: list[str], today: date
) -> dict[str, Any]:
    """Check each option as the validator will, so that every problem is listed at once."""
    checks: dict[str, Callable[[str], Any]] = {
        "date": lambda v: PartialDate.parse(read_date(v, today=today) or v, today=today).iso(),
        "border_status": parse_border_status,
        "direction": partial(_vocabulary, allowed=DIRECTIONS, what="direction"),
        "channel": parse_channel,
        "market_activity": partial(_vocabulary, allowed=MARKET_ACTIVITY, what="market activity"),
        "goods": lambda v: parse_goods(split_goods(v)),
        "enforcement": partial(_limited, limit=_MAX_ENFORCEMENT, what="enforcement note"),
        "summary": partial(_limited, limit=MAX_SUMMARY, what="summary"),
        "source": partial(_limited, limit=_MAX_SOURCE, what="source"),
        "url": parse_url,
        "reliability": parse_reliability,
    }
    values: dict[str, Any] = {}
    for field, check in checks.items():
        raw = options.get(field, "").strip()
        if not raw:
            continue
        try:
            values[field] = check(raw)
        except InvalidInput as exc:
            problems.append(exc.user_message)
    return values


def _vocabulary(raw: str, *, allowed: tuple[str, ...], what: str) -> str:
    word = conditions.normalise_word(raw)
    word = _DIRECTION_ALIASES.get(word, word) if what == "direction" else word
    if word not in allowed:
        raise InvalidInput(f"“{raw}” is not a {what}; use one of: {', '.join(allowed)}.")
    return word


def _limited(raw: str, *, limit: int, what: str) -> str:
    if len(raw) > limit:
        raise InvalidInput(f"The {what} is {len(raw):,} characters; the limit is {limit:,}.")
    return raw

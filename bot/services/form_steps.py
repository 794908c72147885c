"""The questions of the guided forms, one Step each: prompt, suggestions and how an answer is read.

Steps see the form through `FormContext` (the name index, today, figures per name, recent sources,
creating a name), which `Forms` provides; this module knows nothing of `Forms` itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from bot.domain import callbacks
from bot.domain.conditions import (
    BORDER_STATUSES,
    CHANNELS,
    DIRECTIONS,
    MARKET_ACTIVITY,
    TOPICS,
)
from bot.domain.dates import PartialDate
from bot.domain.errors import InvalidInput
from bot.domain.records import (
    MAX_SUMMARY,
    PRICE_TYPES,
    parse_currency,
    parse_price_range,
    parse_reliability,
    parse_url,
)
from bot.domain.units import parse_unit
from bot.rendering.html import esc_short, shorten_text
from bot.rendering.replies import Button, Reply
from bot.services.admin import Admin
from bot.services.catalogue import Catalogue
from bot.services.pending import Pending

SKIP = "-"
NEW = "+new"
DONE = "+done"
RELIABILITY_SUGGESTIONS = ("A2", "B2", "B3", "C3", "F6")
UNIT_SUGGESTIONS = ("KPW/kg", "CNY/kg", "CNY/600 g", "KPW/piece", "KPW/USD", "KPW/CNY")
# How much of a typed name a question quotes back, in UTF-16 code units.
NAME_QUOTE = 100


class FormContext(Protocol):
    """What a step may use while it reads an answer or suggests one."""

    @property
    def catalogue(self) -> Catalogue: ...

    @property
    def names(self) -> Admin: ...

    def today(self) -> date: ...

    def figure_counts(self, *, by: str) -> dict[int, int]: ...

    def recent_sources(self, *, admin_id: int) -> list[str]: ...


@dataclass(frozen=True)
class Step:
    """One question: its key, prompt, suggestions, and how an answer is checked."""

    key: str
    prompt: str
    suggest: Callable[[FormContext, Pending], list[tuple[str, str]]]
    check: Callable[[FormContext, Pending, str], Any]
    optional: bool = False


# Price form


def _commodity(s: FormContext, p: Pending, value: str) -> Any:
    return _name(s, p, value, "c")


def _market(s: FormContext, p: Pending, value: str) -> Any:
    return _name(s, p, value, "m")


def _name(s: FormContext, p: Pending, value: str, what: str) -> Any:
    catalogue = s.catalogue
    resolver, slugs = (
        (catalogue.commodities, catalogue.commodity_slugs)
        if what == "c"
        else (catalogue.markets, catalogue.market_slugs)
    )
    key = "commodity_id" if what == "c" else "market_id"
    if value == NEW and p.data.get(f"{what}_text"):
        p.data[key] = s.names.create_name(
            admin_id=p.admin_id,
            kind="commodity" if what == "c" else "market",
            text=p.data[f"{what}_text"],
        )
        return str(p.data[key])
    if value in slugs:
        p.data[key] = slugs[value]
        return value
    resolution = resolver.resolve(value)
    if resolution.match is not None:
        p.data[key] = resolution.match.entry.id
        return resolution.match.entry.slug
    p.data[f"{what}_text"] = value[:100]
    name = "commodity" if what == "c" else "market"
    options = [(c.entry.display, c.entry.slug) for c in resolution.candidates[:5]]
    options.append((f"➕ New {name} “{shorten_text(value, 30)}”", NEW))
    text = f"Which {name} is “{esc_short(value, NAME_QUOTE)}”? Tap one, or type the name again."
    buttons = tuple(
        (Button(label, callbacks.encode("f", v)),) for label, v in options if len(v.encode()) <= 58
    )
    return Reply(text=text, buttons=buttons)


def _top(s: FormContext, by: str) -> list[tuple[str, str]]:
    counts = s.figure_counts(by=by)
    labels = s.catalogue.commodity_labels if by == "commodity" else s.catalogue.market_labels
    slugs = s.catalogue.commodity_slugs if by == "commodity" else s.catalogue.market_slugs
    by_id = {i: slug for slug, i in slugs.items()}
    top = sorted(counts, key=lambda i: -counts[i])[:6]
    return [(labels[i].en, by_id[i]) for i in top if i in by_id]


def _price(s: FormContext, p: Pending, value: str) -> Any:
    low, high = parse_price_range(value)
    return value if low != high else f"{low:g}"


def _unit(s: FormContext, p: Pending, value: str) -> Any:
    currency, _, unit = value.replace(" per ", "/").partition("/")
    if not unit:
        raise InvalidInput("Write the currency and unit as CUR/unit, e.g. KPW/kg or CNY/600 g.")
    parse_currency(currency)
    parse_unit(unit)
    return f"{currency.strip().upper()}/{unit.strip()}"


def _date(s: FormContext, p: Pending, value: str) -> Any:
    if value == "unknown":
        return "unknown"
    return PartialDate.parse(value, today=s.today()).iso()


def _date_options(s: FormContext, p: Pending) -> list[tuple[str, str]]:
    today = s.today()
    return [
        ("Today", today.isoformat()),
        ("This month", today.strftime("%Y-%m")),
        ("Not stated", "unknown"),
    ]


def _source(s: FormContext, p: Pending, value: str) -> Any:
    if not value or len(value) > 120:
        raise InvalidInput("The source is 1-120 characters, e.g. Daily NK.")
    return value


def _source_options(s: FormContext, p: Pending) -> list[tuple[str, str]]:
    recent = s.recent_sources(admin_id=p.admin_id)
    names = list(dict.fromkeys([*recent, "Daily NK", "ASIAPRESS", "RFA"]))[:5]
    return [(n, n) for n in names if len(n.encode()) <= 58]


# Asked at the end of both forms.
URL_STEP = Step(
    "url", "Link to the source.", lambda s, p: [], lambda s, p, v: parse_url(v) or "", optional=True
)
RELIABILITY_STEP = Step(
    "rel",
    "Reliability (Admiralty: source A-F, information 1-6).",
    lambda s, p: [(r, r) for r in RELIABILITY_SUGGESTIONS],
    lambda s, p, v: parse_reliability(v) or "",
    optional=True,
)


PRICE_STEPS = (
    Step(
        "commodity",
        "Which commodity? Type a name or tap one.",
        lambda s, p: _top(s, "commodity"),
        _commodity,
    ),
    Step("market", "Which market or place?", lambda s, p: _top(s, "market"), _market),
    Step("price", "The price or range as reported, e.g. 500 or 500-1200.", lambda s, p: [], _price),
    Step(
        "unit",
        "Currency and unit, e.g. KPW/kg, CNY/600 g, KPW/USD.",
        lambda s, p: [(u, u) for u in UNIT_SUGGESTIONS],
        _unit,
    ),
    Step("date", "When was it observed? YYYY-MM-DD, YYYY-MM or YYYY.", _date_options, _date),
    Step("source", "Who published it?", _source_options, _source),
    URL_STEP,
    Step(
        "grade",
        "Grade or variety as reported (e.g. good quality).",
        lambda s, p: [],
        lambda s, p, v: v[:120],
        optional=True,
    ),
    Step(
        "type",
        "Price type.",
        lambda s, p: [(t.replace("_", " "), t) for t in PRICE_TYPES[:6]],
        lambda s, p, v: _choice(v, PRICE_TYPES),
        optional=True,
    ),
    RELIABILITY_STEP,
)


def _choice(value: str, allowed: tuple[str, ...]) -> str:
    # Buttons send the stored spelling; typed answers may use spaces or the other separator.
    sep = "_" if "_" in "".join(allowed) else "-"
    normal = re.sub(r"[\s_-]+", sep, value.strip().lower())
    if normal not in allowed:
        raise InvalidInput("Choose one of: {options}.", options=", ".join(allowed))
    return normal


def price_row(s: FormContext, p: Pending, values: dict[str, str]) -> dict[str, str]:
    currency, _, unit = values["unit"].partition("/")
    slug = {i: k for k, i in s.catalogue.commodity_slugs.items()}
    mslug = {i: k for k, i in s.catalogue.market_slugs.items()}
    return {
        "commodity": slug[p.data["commodity_id"]],
        "market": mslug[p.data["market_id"]],
        "price": values["price"],
        "currency": currency,
        "unit": unit,
        "date": "" if values["date"] == "unknown" else values["date"],
        "source": values["source"],
        "source_url": values.get("url", ""),
        "grade": values.get("grade", ""),
        "pricetype": values.get("type", "") or "retail",
        "reliability": values.get("rel", ""),
    }


# Report form


def _place(s: FormContext, p: Pending, value: str) -> Any:
    if value in s.catalogue.market_slugs:
        return value
    resolution = s.catalogue.markets.resolve(value)
    if resolution.match is not None:
        return resolution.match.entry.slug
    options = [(c.entry.display, c.entry.slug) for c in resolution.candidates[:5]]
    if not options:
        raise InvalidInput(
            "I know no place called “{name}”; /markets lists them.",
            name=shorten_text(value, NAME_QUOTE),
        )
    buttons = tuple((Button(label, callbacks.encode("f", v)),) for label, v in options)
    return Reply(text=f"Which place is “{esc_short(value, NAME_QUOTE)}”?", buttons=buttons)


def _topics(s: FormContext, p: Pending, value: str) -> Any:
    chosen: list[str] = p.data.setdefault("topics", [])
    if value == DONE:
        return ";".join(chosen)
    if value not in TOPICS:
        raise InvalidInput("Tap the topics that apply, then Done.")
    if value in chosen:
        chosen.remove(value)
    else:
        chosen.append(value)
    return None


def _topic_options(s: FormContext, p: Pending) -> list[tuple[str, str]]:
    chosen = p.data.get("topics", [])
    return [(("✅ " if t in chosen else "") + t, t) for t in TOPICS] + [("Done", DONE)]


def _goods(s: FormContext, p: Pending, value: str) -> Any:
    slugs = []
    for part in [x.strip() for x in value.replace("，", ",").split(",") if x.strip()]:
        resolution = s.catalogue.commodities.resolve(part)
        if resolution.match is None:
            close = ", ".join(c.entry.display for c in resolution.candidates[:3])
            hint = f" Close: {close}." if close else ""
            raise InvalidInput(
                f"“{shorten_text(part, 60)}” is not one commodity.{hint} Separate goods with commas."
            )
        slugs.append(resolution.match.entry.slug)
    return ";".join(dict.fromkeys(slugs))


def _summary(s: FormContext, p: Pending, value: str) -> Any:
    if len(value) > MAX_SUMMARY:
        raise InvalidInput(
            "The summary is {n:,} characters; the limit is {limit:,}.",
            n=len(value),
            limit=MAX_SUMMARY,
        )
    if not value:
        raise InvalidInput("The summary is missing.")
    return value


def _options(values: tuple[str, ...]) -> Callable[[FormContext, Pending], list[tuple[str, str]]]:
    return lambda s, p: [(v.replace("-", " "), v) for v in values]


def _choice_step(key: str, prompt: str, values: tuple[str, ...]) -> Step:
    """An optional step answered by one of a fixed set of values, offered as buttons."""
    return Step(key, prompt, _options(values), lambda s, p, v: _choice(v, values), optional=True)


REPORT_STEPS = (
    Step("place", "Which place or crossing?", lambda s, p: _top(s, "market"), _place),
    Step("date", "When? YYYY-MM-DD, YYYY-MM or YYYY.", _date_options, _date),
    Step("topics", "Topics (tap to toggle, then Done).", _topic_options, _topics),
    _choice_step("direction", "Direction of trade.", DIRECTIONS),
    _choice_step("channel", "Channel.", CHANNELS),
    _choice_step("border_status", "Border status.", BORDER_STATUSES),
    _choice_step("market_activity", "Market activity.", MARKET_ACTIVITY),
    Step(
        "goods",
        "Goods concerned, separated by commas (e.g. lingzhi, dried leech).",
        lambda s, p: [],
        _goods,
        optional=True,
    ),
    Step(
        "summary",
        f"The summary in your words (up to {MAX_SUMMARY:,} characters).",
        lambda s, p: [],
        _summary,
    ),
    Step("source", "Who reported it?", _source_options, _source),
    URL_STEP,
    RELIABILITY_STEP,
)


def report_row(values: dict[str, str]) -> dict[str, str]:
    return {
        "place": values["place"],
        "date": "" if values["date"] == "unknown" else values["date"],
        "topics": values.get("topics", ""),
        "direction": values.get("direction", ""),
        "channel": values.get("channel", ""),
        "border_status": values.get("border_status", ""),
        "market_activity": values.get("market_activity", ""),
        "commodities": values.get("goods", ""),
        "summary": values["summary"],
        "source": values["source"],
        "source_url": values.get("url", ""),
        "reliability": values.get("rel", ""),
    }

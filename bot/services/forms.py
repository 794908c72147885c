"""Guided entry: one question at a time with suggestion buttons, ending in a preview."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import callbacks
from bot.domain.dates import PartialDate
from bot.domain.errors import InvalidInput
from bot.domain.records import (
    BORDER_STATUSES,
    CHANNELS,
    DIRECTIONS,
    MARKET_ACTIVITY,
    MAX_SUMMARY,
    PRICE_TYPES,
    TOPICS,
    parse_currency,
    parse_price_range,
    parse_reliability,
    parse_url,
)
from bot.domain.units import parse_unit
from bot.rendering.html import esc
from bot.rendering.replies import Button, Reply
from bot.services.admin import Admin
from bot.services.catalogue import Catalogue, CatalogueStore
from bot.services.clock import Clock
from bot.services.entries import Entries
from bot.services.pending import Pending, PendingStore
from db import repo
from db.repo.editing import recent_source_names

SKIP = "-"
NEW = "+new"
DONE = "+done"
RELIABILITY_SUGGESTIONS = ("A2", "B2", "B3", "C3", "F6")
UNIT_SUGGESTIONS = ("KPW/kg", "CNY/kg", "CNY/600 g", "KPW/piece", "KPW/USD", "KPW/CNY")


@dataclass(frozen=True)
class Step:
    """One question: its key, prompt, suggestions, and how an answer is checked."""

    key: str
    prompt: str
    suggest: Callable[[Forms, Pending], list[tuple[str, str]]]
    check: Callable[[Forms, Pending, str], Any]
    optional: bool = False


class Forms:
    """Runs the guided forms for /addprice and /addreport."""

    def __init__(
        self,
        *,
        engine: Engine,
        catalogue: CatalogueStore,
        clock: Clock,
        pending: PendingStore,
        entries: Entries,
        names: Admin,
    ) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock
        self._pending = pending
        self._entries = entries
        self.names = names

    @property
    def catalogue(self) -> Catalogue:
        """The current name index (the steps read it)."""
        return self._catalogue.current

    def today(self) -> date:
        """Today's date by the injected clock."""
        return self._clock().date()

    def figure_counts(self, *, by: str) -> dict[int, int]:
        """Live figures per commodity or per place, for the suggestion buttons."""
        with Session(self._engine) as session:
            return repo.figure_counts(session, by=by)

    def recent_sources(self, *, admin_id: int) -> list[str]:
        """Sources this editor cited lately, newest first."""
        with Session(self._engine) as session:
            return recent_source_names(session, entered_by=admin_id)

    def start(self, *, admin_id: int, kind: str) -> Reply:
        """Open a form (any open one is dropped) and ask its first question."""
        self._pending.drop_forms(admin_id)
        pending = self._pending.add(
            admin_id=admin_id, kind=f"form-{kind}", data={"step": 0, "values": {}}
        )
        if kind == "price":
            pending.data.update(commodity_id=None, market_id=None)
        return self._ask(pending)

    def is_open(self, *, admin_id: int) -> bool:
        """Tell whether the editor is in the middle of a guided form."""
        return self._pending.form_of(admin_id) is not None

    def answer(self, *, admin_id: int, value: str) -> Reply | None:
        """Take an answer to the current question; None when no form is open."""
        pending = self._pending.form_of(admin_id)
        if pending is None:
            return None
        step = self._steps(pending)[pending.data["step"]]
        value = value.strip()
        if value == SKIP and step.optional:
            pending.data["values"][step.key] = ""
        else:
            result = step.check(self, pending, value)
            if isinstance(result, Reply):
                return result
            if result is None:  # the step wants another answer (a toggle, say)
                return self._ask(pending)
            pending.data["values"][step.key] = result
        pending.data["step"] += 1
        return self.resume(pending)

    def resume(self, pending: Pending) -> Reply:
        """Ask the next question, or preview when all are answered."""
        steps = self._steps(pending)
        if pending.data["step"] < len(steps):
            return self._ask(pending)
        values = pending.data["values"]
        if pending.kind == "form-price":
            return self._entries.preview_form_price(pending, _price_row(self, pending, values))
        return self._entries.preview_report(pending, _report_row(values))

    def cancel(self, *, admin_id: int) -> Reply:
        """Close the admin's open form."""
        self._pending.drop_forms(admin_id)
        return Reply(text="Cancelled; nothing was saved.")

    def _steps(self, pending: Pending) -> tuple[Step, ...]:
        return PRICE_STEPS if pending.kind == "form-price" else REPORT_STEPS

    def _ask(self, pending: Pending) -> Reply:
        steps = self._steps(pending)
        step = steps[pending.data["step"]]
        options = step.suggest(self, pending)
        if step.optional:
            options.append(("Skip", SKIP))
        rows = [
            tuple(
                Button(label, callbacks.encode("f", value)) for label, value in options[i : i + 3]
            )
            for i in range(0, len(options), 3)
        ]
        head = f"<b>{pending.data['step'] + 1}/{len(steps)}</b> {esc(step.prompt)}"
        return Reply(text=head + "\n<i>/cancel stops.</i>", buttons=tuple(rows))


# Price form


def _commodity(s: Forms, p: Pending, value: str) -> Any:
    return _name(s, p, value, "c")


def _market(s: Forms, p: Pending, value: str) -> Any:
    return _name(s, p, value, "m")


def _name(s: Forms, p: Pending, value: str, what: str) -> Any:
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
    options.append((f"➕ New {name} “{value[:30]}”", NEW))
    text = f"Which {name} is “{esc(value[:100])}”? Tap one, or type the name again."
    buttons = tuple(
        (Button(label, callbacks.encode("f", v)),) for label, v in options if len(v.encode()) <= 58
    )
    return Reply(text=text, buttons=buttons)


def _top(s: Forms, by: str) -> list[tuple[str, str]]:
    counts = s.figure_counts(by=by)
    labels = s.catalogue.commodity_labels if by == "commodity" else s.catalogue.market_labels
    slugs = s.catalogue.commodity_slugs if by == "commodity" else s.catalogue.market_slugs
    by_id = {i: slug for slug, i in slugs.items()}
    top = sorted(counts, key=lambda i: -counts[i])[:6]
    return [(labels[i].en, by_id[i]) for i in top if i in by_id]


def _price(s: Forms, p: Pending, value: str) -> Any:
    low, high = parse_price_range(value)
    return value if low != high else f"{low:g}"


def _unit(s: Forms, p: Pending, value: str) -> Any:
    currency, _, unit = value.replace(" per ", "/").partition("/")
    if not unit:
        raise InvalidInput("Write the currency and unit as CUR/unit, e.g. KPW/kg or CNY/600 g.")
    parse_currency(currency)
    parse_unit(unit)
    return f"{currency.strip().upper()}/{unit.strip()}"


def _date(s: Forms, p: Pending, value: str) -> Any:
    if value == "unknown":
        return "unknown"
    return PartialDate.parse(value, today=s.today()).iso()


def _date_options(s: Forms, p: Pending) -> list[tuple[str, str]]:
    today = s.today()
    return [
        ("Today", today.isoformat()),
        ("This month", today.strftime("%Y-%m")),
        ("Not stated", "unknown"),
    ]


def _source(s: Forms, p: Pending, value: str) -> Any:
    if not value or len(value) > 120:
        raise InvalidInput("The source is 1-120 characters, e.g. Daily NK.")
    return value


def _source_options(s: Forms, p: Pending) -> list[tuple[str, str]]:
    recent = s.recent_sources(admin_id=p.admin_id)
    names = list(dict.fromkeys([*recent, "Daily NK", "ASIAPRESS", "RFA"]))[:5]
    return [(n, n) for n in names if len(n.encode()) <= 58]


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
    Step(
        "url",
        "Link to the source.",
        lambda s, p: [],
        lambda s, p, v: parse_url(v) or "",
        optional=True,
    ),
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
    Step(
        "rel",
        "Reliability (Admiralty: source A-F, information 1-6).",
        lambda s, p: [(r, r) for r in RELIABILITY_SUGGESTIONS],
        lambda s, p, v: parse_reliability(v) or "",
        optional=True,
    ),
)


def _choice(value: str, allowed: tuple[str, ...]) -> str:
    # Buttons send the stored spelling; typed answers may use spaces or the other separator.
    sep = "_" if "_" in "".join(allowed) else "-"
    normal = re.sub(r"[\s_-]+", sep, value.strip().lower())
    if normal not in allowed:
        raise InvalidInput("Choose one of: {options}.", options=", ".join(allowed))
    return normal


def _price_row(s: Forms, p: Pending, values: dict[str, str]) -> dict[str, str]:
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


def _place(s: Forms, p: Pending, value: str) -> Any:
    if value in s.catalogue.market_slugs:
        return value
    resolution = s.catalogue.markets.resolve(value)
    if resolution.match is not None:
        return resolution.match.entry.slug
    options = [(c.entry.display, c.entry.slug) for c in resolution.candidates[:5]]
    if not options:
        raise InvalidInput(
            "I know no place called “{name}”; /markets lists them.", name=value[:100]
        )
    buttons = tuple((Button(label, callbacks.encode("f", v)),) for label, v in options)
    return Reply(text=f"Which place is “{esc(value[:100])}”?", buttons=buttons)


def _topics(s: Forms, p: Pending, value: str) -> Any:
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


def _topic_options(s: Forms, p: Pending) -> list[tuple[str, str]]:
    chosen = p.data.get("topics", [])
    return [(("✅ " if t in chosen else "") + t, t) for t in TOPICS] + [("Done", DONE)]


def _goods(s: Forms, p: Pending, value: str) -> Any:
    slugs = []
    for part in [x.strip() for x in value.replace("，", ",").split(",") if x.strip()]:
        resolution = s.catalogue.commodities.resolve(part)
        if resolution.match is None:
            close = ", ".join(c.entry.display for c in resolution.candidates[:3])
            hint = f" Close: {close}." if close else ""
            raise InvalidInput(
                f"“{part[:60]}” is not one commodity.{hint} Separate goods with commas."
            )
        slugs.append(resolution.match.entry.slug)
    return ";".join(dict.fromkeys(slugs))


def _summary(s: Forms, p: Pending, value: str) -> Any:
    if len(value) > MAX_SUMMARY:
        raise InvalidInput(
            "The summary is {n:,} characters; the limit is {limit:,}.",
            n=len(value),
            limit=MAX_SUMMARY,
        )
    if not value:
        raise InvalidInput("The summary is missing.")
    return value


def _options(values: tuple[str, ...]) -> Callable[[Forms, Pending], list[tuple[str, str]]]:
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
    Step(
        "url",
        "Link to the source.",
        lambda s, p: [],
        lambda s, p, v: parse_url(v) or "",
        optional=True,
    ),
    Step(
        "rel",
        "Reliability (Admiralty: source A-F, information 1-6).",
        lambda s, p: [(r, r) for r in RELIABILITY_SUGGESTIONS],
        lambda s, p, v: parse_reliability(v) or "",
        optional=True,
    ),
)


def _report_row(values: dict[str, str]) -> dict[str, str]:
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

"""Answering "what does X cost (in Y) (when)" from the database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import callbacks
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.i18n import N_, Translator
from bot.domain.matching import Resolution
from bot.domain.prices import (
    MAX_RATE_GAP_DAYS,
    MarketPrice,
    Observation,
)
from bot.domain.query import parse_query
from bot.domain.text import normalize
from bot.i18n import translator
from bot.rendering import answers
from bot.rendering.replies import Button, InlineResult, Reply
from bot.services.catalogue import Catalogue
from bot.services.market_figures import market_prices
from bot.services.wfp import WFP_SOURCE
from db import repo
from db.repo import feeds as feed_repo

PRICE_USAGE = N_(
    "Tell me what to look up: <code>/price lingzhi</code>, <code>/price rice hyesan</code>, "
    "<code>/price 쌀 혜산</code>, <code>/price 灵芝</code> or <code>rice sinuiju last month</code>."
)
MAX_INLINE_RESULTS = 50
# A question names a commodity, maybe a place and a time; matching cost grows with length, so
# anything much longer is refused before any matching is done.
MAX_QUESTION_CHARS = 120
MAX_QUESTION_WORDS = 12
TOO_LONG = N_(
    "That is a long message. Ask about one commodity, optionally a place and a time, "
    "e.g. <code>rice hyesan last month</code>."
)


def check_length(text: str) -> None:
    """Refuse a question too long to be one (cheaply, before matching)."""
    if len(text) > MAX_QUESTION_CHARS or len(text.split()) > MAX_QUESTION_WORDS:
        raise InvalidInput(TOO_LONG, is_html=True)


@dataclass(frozen=True)
class Question:
    """A resolved question: what, where (optional) and when (optional)."""

    commodity_id: int
    market_id: int | None = None
    start: date | None = None
    end: date | None = None
    period_label: str | None = None
    more_markets: tuple[int, ...] = ()  # further places named: "rice pyongyang vs hyesan"
    currency: str | None = None  # the currency the answer is asked in

    @property
    def markets(self) -> tuple[int, ...]:
        """Return every place named, in the order named."""
        first = () if self.market_id is None else (self.market_id,)
        return (*first, *self.more_markets)

    def market_ids(self, catalogue: Catalogue) -> list[int] | None:
        """Return the asked places and every place inside them, or None for all places."""
        if not self.markets:
            return None
        ids: dict[int, None] = {}
        for market in self.markets:
            ids.update(dict.fromkeys(catalogue.descendants(market)))
        return list(ids)

    def callback(self, kind: str = "p") -> str:
        return callbacks.encode(kind, self.commodity_id, self.market_id, self.start, self.end)


def did_you_mean(
    catalogue: Catalogue,
    resolution: Resolution,
    text: str,
    what: str,
    lang: str,
    data: Callable[[int], str],
) -> Reply:
    """Ask which name was meant, one button per close name; refuse when none is close."""
    if not resolution.candidates:
        raise not_found(resolution, text, what)
    t = translator(lang)
    labels = catalogue.commodity_labels if what == "commodity" else catalogue.market_labels
    buttons = tuple(
        (Button(labels[c.entry.id].in_lang(lang), data(c.entry.id)),)
        for c in resolution.candidates[:5]
    )
    message = (
        t.gettext("Which commodity did you mean by “{text}”?")
        if what == "commodity"
        else t.gettext("Which place did you mean by “{text}”?")
    )
    return Reply(text=message.format(text=answers.esc(text)), buttons=buttons)


def not_found(resolution: Resolution, text: str, what: str) -> NotFound:
    """Return the refusal of a name nothing in the catalogue is close to."""
    if what == "commodity":
        return NotFound(
            "I don't know a commodity called “{text}”. /commodities lists what I track.", text=text
        )
    return NotFound(
        "I don't know a place called “{text}”. /markets lists the places I cover.", text=text
    )


def price_reply(
    engine: Engine, catalogue: Catalogue, question: Question, *, today: date, lang: str
) -> Reply:
    """Render the latest figures for a resolved question."""
    t = translator(lang)
    market_ids = question.market_ids(catalogue)
    with Session(engine) as session:
        rows = repo.recent_prices(
            session,
            commodity_id=question.commodity_id,
            market_ids=market_ids,
            start=question.start,
            end=question.end,
        )
        items = market_prices(session, rows, catalogue, lang=lang, currency=question.currency)
        if any(i.latest.source_name == WFP_SOURCE for i in items):
            items = _with_checks(items, feed_repo.feed_checks(session))
        earlier: list[MarketPrice] = []
        if not items and question.start is not None:
            # Surveys are sparse: when a period holds nothing, show the latest figure before it.
            before = repo.recent_prices(
                session,
                commodity_id=question.commodity_id,
                market_ids=market_ids,
                end=question.start,
                per_market=12,
            )
            earlier = market_prices(
                session, before, catalogue, lang=lang, currency=question.currency
            )
    name = catalogue.commodity_labels[question.commodity_id].in_lang(lang)
    place = (
        catalogue.market_labels[question.market_id].in_lang(lang)
        if question.market_id is not None
        else None
    )
    if not items and earlier:
        text = answers.price_answer(name, earlier, today=today, t=t, place=place)
        note = t.gettext("No figures for {period}; the latest before it:").format(
            period=question.period_label
        )
        return Reply(text=f"<i>{answers.esc(note)}</i>\n{text}", buttons=(cite_button(earlier, t),))
    if not items and market_ids is not None and question.start is None:
        related = _related_with_figures(engine, catalogue, question.commodity_id, market_ids)
        if len(related) == 1:
            # "rice" in Yangon: WFP reports "Rice (low quality)" there, under its own name.
            other = replace(question, commodity_id=related[0])
            answer = price_reply(engine, catalogue, other, today=today, lang=lang)
            note = t.gettext("No figures for {name} in {place}; for {other}:").format(
                name=name,
                place=place,
                other=catalogue.commodity_labels[related[0]].in_lang(lang),
            )
            return replace(answer, text=f"<i>{answers.esc(note)}</i>\n{answer.text}")
        if related:
            choices = tuple(
                (
                    Button(
                        catalogue.commodity_labels[c].in_lang(lang),
                        callbacks.encode("p", c, question.market_id),
                    ),
                )
                for c in related[:5]
            )
            note = t.gettext("No figures for {name} in {place}; there are for these:").format(
                name=name, place=place
            )
            return Reply(text=answers.esc(note), buttons=choices)
    if not items:
        return Reply(text=_no_figures(name, place, question, t))
    text = answers.price_answer(
        name, items, today=today, t=t, place=place, period=question.period_label
    )
    if question.currency is not None:
        text += _conversion_note(items, question.currency, t)
    buttons = (
        Button("📈 " + t.gettext("Trend"), question.callback("t")),
        Button("⚖️ " + t.gettext("Compare markets"), callbacks.encode("cmp", question.commodity_id)),
    )
    return Reply(text=text, buttons=(buttons, cite_button(items, t)))


def cite_button(items: Sequence[MarketPrice], t: Translator) -> tuple[Button, ...]:
    """Return the row with the "📋 Cite" button for the figures an answer shows (in its order)."""
    ids = [item.latest.id for item in items]
    return (Button("📋 " + t.gettext("Cite"), callbacks.cite_callback(ids)),)


def _conversion_note(items: Sequence[MarketPrice], currency: str, t: Translator) -> str:
    """Say which figures could not be put in the asked currency, and at which rates the rest were."""
    unconverted = sorted(
        {
            i.latest.market
            for i in items
            if i.converted is None and i.latest.figure.currency != currency
        }
    )
    lines = []
    if any(i.converted is not None for i in items):
        lines.append(
            t.gettext(
                "In {currency} at the same market's exchange rate nearest in date to the figure "
                "(within {days} days), else at its latest rate, as marked; each rate and its date "
                "are shown."
            ).format(currency=currency, days=MAX_RATE_GAP_DAYS)
        )
    if unconverted:
        lines.append(
            t.gettext("No market rate to put these in {currency}: {places}.").format(
                currency=currency, places="; ".join(unconverted)
            )
        )
    return "".join(f"\n<i>{answers.esc(line)}</i>" for line in lines)


def _with_checks(items: list[MarketPrice], checks: dict[str, datetime]) -> list[MarketPrice]:
    """Mark figures from a feed with when the feed was last checked ("WFP, checked 2 days
    ago")."""

    def checked(obs: Observation) -> Observation:
        at = checks.get(obs.source_url or "")
        return replace(obs, checked_at=at) if at is not None else obs

    return [replace(i, latest=checked(i.latest)) for i in items]


def _related_with_figures(
    engine: Engine, catalogue: Catalogue, commodity_id: int, market_ids: Sequence[int]
) -> list[int]:
    """Other goods whose names hold this one's main words (rice: "Rice (low quality)", "Rice
    (imported)") that have figures in these places: what a publisher reports under its own
    names."""
    words = _main_words(catalogue.commodity_labels[commodity_id].en)
    if not words:
        return []
    related = [
        e.id
        for e in catalogue.commodities.entries
        if e.id != commodity_id and words <= set(normalize(e.display).split())
    ]
    if not related:
        return []
    with Session(engine) as session:
        return repo.commodities_with_figures(session, commodity_ids=related, market_ids=market_ids)


def _main_words(name: str) -> set[str]:
    return set(normalize(name.split("(", 1)[0]).split())


def _no_figures(name: str, place: str | None, question: Question, t: Translator) -> str:
    if place and question.period_label:
        text = t.gettext("No figures for {name} in {place} for {period}.")
    elif place:
        text = t.gettext("No figures for {name} in {place} yet.")
    elif question.period_label:
        text = t.gettext("No figures for {name} for {period}.")
    else:
        text = t.gettext("No figures for {name} yet.")
    return answers.esc(text.format(name=name, place=place, period=question.period_label))


def inline_results(
    engine: Engine,
    catalogue: Catalogue,
    text: str,
    *,
    today: date,
    lang: str,
    cite: Callable[[Observation], tuple[str, str, str]] | None = None,
) -> list[InlineResult]:
    """Return up to 50 ready-to-post answers, one per market, each followed by its citation.

    `cite` makes a figure's citation result (title, description, text); without it only the
    answers are offered.
    """
    if not text.strip() or len(text) > MAX_QUESTION_CHARS or len(text.split()) > MAX_QUESTION_WORDS:
        return []
    parsed = parse_query(
        text, commodities=catalogue.commodities, markets=catalogue.markets, today=today
    )
    if parsed.commodity.match is not None:
        commodity_ids = [parsed.commodity.match.entry.id]
    else:
        # No buttons inline: offer each close name as its own results, titled with the name.
        commodity_ids = [c.entry.id for c in parsed.commodity.candidates[:3]]
    market_ids = None
    if parsed.market is not None and parsed.market.match is not None:
        market_ids = catalogue.descendants(parsed.market.match.entry.id)
    t = translator(lang)
    results: list[InlineResult] = []
    with Session(engine) as session:
        for commodity_id in commodity_ids:
            rows = repo.recent_prices(
                session, commodity_id=commodity_id, market_ids=market_ids, per_market=2
            )
            name = catalogue.commodity_labels[commodity_id].in_lang(lang)
            for item in market_prices(session, rows, catalogue, lang=lang):
                obs = item.latest
                block = answers.market_price_block(item, today=today, t=t)
                results.append(
                    InlineResult(
                        id=f"{commodity_id}-{obs.id}",
                        title=f"{name} — {obs.market}: {obs.figure.text(t)}",
                        description=f"{obs.observed.label(t)} · {obs.source_name}",
                        text=f"<b>{answers.esc(name)}</b>\n{block}",
                    )
                )
                if cite is not None and len(results) < MAX_INLINE_RESULTS:
                    title, description, cited = cite(obs)
                    results.append(
                        InlineResult(
                            id=f"{commodity_id}-{obs.id}-cite",
                            title=title,
                            description=description,
                            text=cited,
                        )
                    )
                if len(results) >= MAX_INLINE_RESULTS:
                    return results
    return results

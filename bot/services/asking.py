"""Questions as people ask them: read the intent and the names, then answer with the right view.

One reading serves typed questions, `/price`, `/compare`, `/trend`, did-you-mean buttons and
inline mode: the latest price (in a currency when one is asked), a trend chart, markets side by
side, the cheapest or dearest market, the change over a period, or trade-condition reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from bot.domain import callbacks
from bot.domain.errors import DomainError, InvalidInput
from bot.domain.i18n import N_
from bot.domain.intent import Ask
from bot.domain.query import ParsedQuery, parse_query
from bot.i18n import translator
from bot.rendering.html import html_to_plain, split_message
from bot.rendering.replies import InlineResult, Reply
from bot.services import analysis, browse, prices
from bot.services.catalogue import Catalogue

OFF_TOPIC = N_(
    "I answer questions about prices and trade conditions in North Korea's markets. Try "
    "<code>rice hyesan</code>, <code>where is rice cheapest?</code>, "
    "<code>rice trend since 2020</code>, <code>corn change over the last year</code> or "
    "<code>is the border open in sinuiju?</code>; /help lists everything."
)
# One letter per intent in "q" buttons, which must fit in 64 bytes.
_CODES = {
    Ask.PRICE: "p",
    Ask.TREND: "t",
    Ask.COMPARE: "c",
    Ask.CHEAPEST: "l",
    Ask.DEAREST: "h",
    Ask.CHANGE: "d",
}
_ASKS = {code: ask for ask, code in _CODES.items()}
_CURRENCIES = ("USD", "CNY", "KPW")
INVALID_BUTTON = "This button is no longer valid."
_MAX_BUTTON_MARKETS = 6


@dataclass(frozen=True)
class Asked:
    """A question read and resolved: what it asks and about what."""

    ask: Ask
    question: prices.Question


@dataclass(frozen=True)
class AboutConditions:
    """A trade-condition question: the place or good it names, if any."""

    market_id: int | None
    commodity_id: int | None


def read(
    catalogue: Catalogue, text: str, *, today: date, lang: str, force: Ask | None = None
) -> Asked | AboutConditions | Reply:
    """Read a question; a Reply when it is off topic or a name needs asking about.

    `force` is the intent of the command used (`/compare`, `/trend`); words in the question that
    ask for more ("/compare cheapest rice") still count.
    """
    if not text.strip():
        raise InvalidInput(prices.PRICE_USAGE, is_html=True)
    prices.check_length(text)
    parsed = parse_query(
        text, commodities=catalogue.commodities, markets=catalogue.markets, today=today
    )
    if parsed.period_problem:
        raise InvalidInput(parsed.period_problem)
    ask = _forced(parsed.asks, force)
    if ask is Ask.OFF_TOPIC:
        return Reply(text=translator(lang).gettext(OFF_TOPIC))
    if ask is Ask.CONDITIONS:
        return AboutConditions(
            market_id=parsed.market.match.entry.id
            if parsed.market is not None and parsed.market.match is not None
            else None,
            commodity_id=parsed.commodity.match.entry.id if parsed.commodity.match else None,
        )
    if not parsed.commodity_text and parsed.commodity.match is None:
        if parsed.intent.chatter:
            return Reply(text=translator(lang).gettext(OFF_TOPIC))
        # "chart" or "cheapest" alone: say what the question needs, in its own terms.
        usage = {Ask.TREND: analysis.TREND_USAGE, Ask.PRICE: prices.PRICE_USAGE}
        raise InvalidInput(usage.get(ask, analysis.COMPARE_USAGE), is_html=True)
    return _resolved(catalogue, parsed, ask, lang)


def _forced(ask: Ask, force: Ask | None) -> Ask:
    if force is None or ask in (Ask.CHEAPEST, Ask.DEAREST, Ask.CONDITIONS):
        return ask
    if force is Ask.COMPARE and ask is Ask.TREND:
        return ask
    return force


def _resolved(catalogue: Catalogue, parsed: ParsedQuery, ask: Ask, lang: str) -> Asked | Reply:
    period = parsed.period
    start = period.start if period else None
    end = period.end if period else None
    label = period.label if period else None
    currency = parsed.intent.currency
    places = parsed.places or (
        ((parsed.market_text or "", parsed.market),) if parsed.market is not None else ()
    )
    if parsed.intent.every_market:
        places = ()
    market_ids: list[int] = []
    for text, place in places:
        if place.match is None:
            commodity = parsed.commodity.match.entry.id if parsed.commodity.match else None
            if commodity is None:
                raise prices.not_found(parsed.commodity, parsed.commodity_text, "commodity")
            return prices.did_you_mean(
                catalogue,
                place,
                text,
                "market",
                lang,
                lambda mid, cid=commodity: encode(  # type: ignore[misc]
                    ask, cid, (*market_ids, mid), start, end, currency
                ),
            )
        if place.match.entry.id not in market_ids:
            market_ids.append(place.match.entry.id)
    if parsed.commodity.match is None:
        return prices.did_you_mean(
            catalogue,
            parsed.commodity,
            parsed.commodity_text,
            "commodity",
            lang,
            lambda cid: encode(ask, cid, market_ids, start, end, currency),
        )
    question = prices.Question(
        parsed.commodity.match.entry.id,
        market_ids[0] if market_ids else None,
        start,
        end,
        label,
        more_markets=tuple(market_ids[1:]),
        currency=currency,
    )
    if ask is Ask.PRICE and len(question.markets) > 1:
        ask = Ask.COMPARE
    return Asked(ask, question)


def encode(
    ask: Ask,
    commodity_id: int,
    market_ids: tuple[int, ...] | list[int],
    start: date | None,
    end: date | None,
    currency: str | None,
) -> str:
    """Return "q" button data for a question: q:intent:commodity:markets:start:end:currency."""
    markets = list(market_ids)[:_MAX_BUTTON_MARKETS]
    while True:
        try:
            return callbacks.encode(
                "q",
                _CODES[ask],
                commodity_id,
                ".".join(str(m) for m in markets) or None,
                start,
                end,
                currency,
            )
        except ValueError:
            if not markets:
                raise
            markets.pop()  # fewer places named than asked is better than no button


def decode(catalogue: Catalogue, cb: callbacks.Callback) -> Asked:
    """Read "q" button data back, refusing anything that no longer names known entries."""
    invalid = InvalidInput(INVALID_BUTTON)
    ask = _ASKS.get(cb.fields[0] if cb.fields else "")
    commodity_id = cb.int_at(1)
    if ask is None or commodity_id is None or commodity_id not in catalogue.commodity_labels:
        raise invalid
    raw = cb.fields[2] if len(cb.fields) > 2 else ""
    markets = raw.split(".") if raw else []
    if not all(m.isdigit() and len(m) <= 12 for m in markets):
        raise invalid
    market_ids = [int(m) for m in markets]
    if any(m not in catalogue.market_labels for m in market_ids):
        raise invalid
    start, end = cb.date_at(3), cb.date_at(4)
    currency = cb.fields[5] if len(cb.fields) > 5 and cb.fields[5] else None
    if currency is not None and currency not in _CURRENCIES:
        raise invalid
    label = None
    if start is not None or end is not None:
        label = f"{start.isoformat() if start else '…'} – {end.isoformat() if end else '…'}"
    question = prices.Question(
        commodity_id,
        market_ids[0] if market_ids else None,
        start,
        end,
        label,
        more_markets=tuple(market_ids[1:]),
        currency=currency,
    )
    return Asked(ask, question)


def answer(
    engine: Engine,
    catalogue: Catalogue,
    asked: Asked | AboutConditions,
    *,
    today: date,
    lang: str,
) -> Reply:
    """Answer a read question with the view its intent calls for."""
    if isinstance(asked, AboutConditions):
        if asked.market_id is not None:
            scope, target = "m", asked.market_id
        elif asked.commodity_id is not None:
            scope, target = "g", asked.commodity_id
        else:
            scope, target = "a", None
        return browse.conditions_page(
            engine, catalogue, scope=scope, target=target, page=1, lang=lang
        )
    question, ask = asked.question, asked.ask
    views: dict[Ask, Callable[[], Reply]] = {
        Ask.PRICE: lambda: prices.price_reply(engine, catalogue, question, today=today, lang=lang),
        Ask.TREND: lambda: analysis.trend(engine, catalogue, question, lang=lang),
        Ask.COMPARE: lambda: analysis.compare(engine, catalogue, question, today=today, lang=lang),
        Ask.CHEAPEST: lambda: analysis.compare(
            engine, catalogue, question, today=today, lang=lang, extreme="cheapest"
        ),
        Ask.DEAREST: lambda: analysis.compare(
            engine, catalogue, question, today=today, lang=lang, extreme="dearest"
        ),
        Ask.CHANGE: lambda: analysis.change(engine, catalogue, question, today=today, lang=lang),
    }
    return views[ask]()


def inline(
    engine: Engine, catalogue: Catalogue, text: str, *, today: date, lang: str
) -> list[InlineResult]:
    """Answer an inline query: the answer the question asks for first, then one per market.

    A comparison, an extreme or a change is one ready-to-post message; a trend (a chart cannot
    be posted inline without a stored photo) is offered as the change over its period. Price
    questions get one result per market, as before.
    """
    if not text.strip() or len(text) > prices.MAX_QUESTION_CHARS:
        return []
    if len(text.split()) > prices.MAX_QUESTION_WORDS:
        return []
    try:
        asked = read(catalogue, text, today=today, lang=lang)
    except DomainError:
        return []
    if isinstance(asked, Reply):
        return []  # a question back or a pointer: nothing to post
    results: list[InlineResult] = []
    if isinstance(asked, AboutConditions) or asked.ask is not Ask.PRICE:
        if isinstance(asked, Asked) and asked.ask is Ask.TREND:
            asked = Asked(Ask.CHANGE, asked.question)
        reply = answer(engine, catalogue, asked, today=today, lang=lang)
        if reply.text and reply.photo is None:
            body = split_message(reply.text)[0]
            lines = [line for line in html_to_plain(body).splitlines() if line.strip()]
            results.append(
                InlineResult(
                    id=_inline_id(asked),
                    title=lines[0] if lines else text,
                    description=" · ".join(lines[1:3]),
                    text=body,
                )
            )
    if isinstance(asked, Asked):
        results += prices.inline_results(engine, catalogue, text, today=today, lang=lang)
    return results[: prices.MAX_INLINE_RESULTS]


def _inline_id(asked: Asked | AboutConditions) -> str:
    # Result ids are at most 64 bytes; the button data of the question is unique and short.
    if isinstance(asked, AboutConditions):
        return f"c-{asked.market_id or ''}-{asked.commodity_id or ''}"
    q = asked.question
    return encode(asked.ask, q.commodity_id, q.markets, q.start, q.end, q.currency)


def ask(
    engine: Engine,
    catalogue: Catalogue,
    text: str,
    *,
    today: date,
    lang: str,
    force: Ask | None = None,
) -> Reply:
    """Read a question and answer it, or ask which name was meant."""
    asked = read(catalogue, text, today=today, lang=lang, force=force)
    if isinstance(asked, Reply):
        return asked
    return answer(engine, catalogue, asked, today=today, lang=lang)

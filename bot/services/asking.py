"""Questions as people ask them: read the intent and the names, then answer with the right view.

One reading serves typed questions, `/price`, `/compare`, `/trend`, did-you-mean buttons and
inline mode: the latest price (in a currency when one is asked), a trend chart, markets side by
side, the cheapest or dearest market, the change over a period, or trade-condition reports.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial

from sqlalchemy.engine import Engine

from bot.domain import callbacks
from bot.domain.errors import DomainError, InvalidInput, NotFound
from bot.domain.i18n import N_
from bot.domain.intent import Ask
from bot.domain.query import ParsedQuery, exact_names, parse_query
from bot.domain.text import other_script_letters
from bot.i18n import translator
from bot.rendering.html import html_to_plain, split_message
from bot.rendering.replies import InlineResult, Reply
from bot.services import analysis, citing, conditions, prices
from bot.services.catalogue import Catalogue

OFF_TOPIC = N_(
    "I answer questions about prices and trade conditions in North Korea's markets. Try "
    "<code>rice hyesan</code>, <code>where is rice cheapest?</code>, "
    "<code>rice trend since 2020</code>, <code>corn change over the last year</code> or "
    "<code>is the border open in sinuiju?</code>; /help lists everything."
)
_RATE_WORDS = re.compile(r"exchange rates?|dollar rate|yuan rate|환율|汇率|匯率")
OTHER_LANGUAGE = N_(
    "I read questions in English, Korean and Chinese. Try <code>smuggling hyesan</code>, "
    "<code>혜산 밀수</code> or <code>惠山走私</code>; /help lists everything."
)
BRIEF_USAGE = N_(
    "Name a place: <code>/brief hyesan</code>, <code>/brief 혜산</code> or "
    "<code>/brief 新义州</code>. /markets lists the places."
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
    """A trade-condition question, or a place alone (a briefing).

    `price` is set when the question names a good too ("lingzhi exports hyesan"): the answer
    gives its price and the reports together. `guess` is text left over that may be a good as
    reports name it ("mobile phones"); it counts only if a report does.
    """

    query: conditions.ConditionsQuery
    price: prices.Question | None = None
    guess: str | None = None
    briefing: bool = False


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
    if not parsed.names_found and not parsed.intent.conditions and other_script_letters(text):
        raise InvalidInput(OTHER_LANGUAGE, is_html=True)
    ask = _forced(parsed.asks, force)
    if ask is Ask.OFF_TOPIC:
        return Reply(text=translator(lang).gettext(OFF_TOPIC))
    if ask is Ask.CONDITIONS:
        return _about_conditions(catalogue, parsed, lang)
    if (
        not parsed.commodity_text
        and parsed.commodity.match is None
        and parsed.market is not None
        and parsed.market.match is not None
        and len(parsed.places) < 2
        and not parsed.intent.every_market
    ):
        # A place alone: its briefing.
        query = conditions.ConditionsQuery(market_id=parsed.market.match.entry.id)
        return AboutConditions(query, briefing=parsed.period is None)
    if not parsed.commodity_text and parsed.commodity.match is None:
        if parsed.intent.chatter:
            return Reply(text=translator(lang).gettext(OFF_TOPIC))
        # "chart" or "cheapest" alone: say what the question needs, in its own terms.
        usage = {Ask.TREND: analysis.TREND_USAGE, Ask.PRICE: prices.PRICE_USAGE}
        raise InvalidInput(usage.get(ask, analysis.COMPARE_USAGE), is_html=True)
    return _resolved(catalogue, parsed, ask, lang)


def _about_conditions(
    catalogue: Catalogue, parsed: ParsedQuery, lang: str
) -> AboutConditions | Reply:
    period = parsed.period
    intent = parsed.intent
    market_id = None
    if parsed.market is not None and parsed.market.match is not None:
        market_id = parsed.market.match.entry.id
    else:
        # Condition questions carry many words around their names: look for names exactly.
        named = exact_names(intent.rest, catalogue.markets)
        if named:
            market_id = named[0].id
        elif parsed.market is not None and parsed.market.candidates:
            return _which_place(catalogue, parsed, lang)
    commodity_id = parsed.commodity.match.entry.id if parsed.commodity.match else None
    if commodity_id is None:
        goods = exact_names(intent.rest, catalogue.commodities)
        if goods:
            commodity_id = goods[0].id
    topics = intent.topics
    if not topics and _RATE_WORDS.search(parsed.intent.rest + " " + (parsed.commodity_text or "")):
        topics = ("exchange-rate",)  # "why did the exchange rate jump", "汇率为什么涨"
    query = conditions.ConditionsQuery(
        market_id=market_id,
        commodity_id=commodity_id,
        topics=topics,
        start=period.start if period else None,
        end=period.end if period else None,
        partner=intent.partner,
        period_label=period.label if period else None,
    )
    guess = parsed.commodity_text if commodity_id is None else None
    price = None
    if commodity_id is not None and intent.topics:
        # A good and a topic: its price and the reports in one answer.
        price = prices.Question(
            commodity_id,
            market_id,
            query.start,
            query.end,
            query.period_label,
            currency=intent.currency,
        )
    if query.is_place_only and not guess:
        return AboutConditions(query, briefing=True)
    return AboutConditions(query, price=price, guess=guess if guess and len(guess) > 2 else None)


def _which_place(catalogue: Catalogue, parsed: ParsedQuery, lang: str) -> Reply:
    """Ask which place a condition question means, keeping the rest of it in the buttons."""
    assert parsed.market is not None
    period = parsed.period
    commodity_id = parsed.commodity.match.entry.id if parsed.commodity.match else None

    def data(market_id: int) -> str:
        query = conditions.ConditionsQuery(
            market_id=market_id,
            commodity_id=commodity_id,
            topics=parsed.intent.topics,
            start=period.start if period else None,
            end=period.end if period else None,
            partner=parsed.intent.partner,
        )
        return query.callback(1) or callbacks.encode("k", market_id)

    return prices.did_you_mean(
        catalogue, parsed.market, parsed.market_text or "", "market", lang, data
    )


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
        return _conditions_answer(engine, catalogue, asked, today=today, lang=lang)
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


def _conditions_answer(
    engine: Engine, catalogue: Catalogue, asked: AboutConditions, *, today: date, lang: str
) -> Reply:
    query = asked.query
    if asked.briefing and query.market_id is not None:
        return conditions.brief(engine, catalogue, query.market_id, today=today, lang=lang)
    if asked.guess and conditions.names_good(engine, asked.guess):
        query = replace(query, good=asked.guess)
    reply = conditions.answer(engine, catalogue, query, today=today, lang=lang)
    if asked.price is None:
        return reply
    price = prices.price_reply(engine, catalogue, asked.price, today=today, lang=lang)
    return Reply(
        text=f"{price.text}\n\n{reply.text}",
        buttons=(*price.buttons, *reply.buttons),
    )


def inline(
    engine: Engine,
    catalogue: Catalogue,
    text: str,
    *,
    today: date,
    lang: str,
    bot_username: str | None = None,
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
        cite = None
        if bot_username:
            cite = partial(
                citing.inline_citation, today=today, bot_username=bot_username, t=translator(lang)
            )
        results += prices.inline_results(engine, catalogue, text, today=today, lang=lang, cite=cite)
    return results[: prices.MAX_INLINE_RESULTS]


def _inline_id(asked: Asked | AboutConditions) -> str:
    # Result ids are at most 64 bytes; the button data of the question is unique and short.
    if isinstance(asked, AboutConditions):
        about = asked.query
        return about.callback(1) or f"k-{about.market_id or ''}-{about.commodity_id or ''}"
    q = asked.question
    return encode(asked.ask, q.commodity_id, q.markets, q.start, q.end, q.currency)


def conditions_command(
    engine: Engine, catalogue: Catalogue, text: str, *, today: date, lang: str
) -> Reply:
    """Answer /conditions with any of place, good, topic and period, in any order and language."""
    if not text.strip():
        return conditions.answer(
            engine, catalogue, conditions.ConditionsQuery(), today=today, lang=lang
        )
    prices.check_length(text)
    parsed = parse_query(
        text, commodities=catalogue.commodities, markets=catalogue.markets, today=today
    )
    if parsed.period_problem:
        raise InvalidInput(parsed.period_problem)
    about = _about_conditions(catalogue, parsed, lang)
    if isinstance(about, Reply):
        return about
    query = about.query
    if about.guess:
        if conditions.names_good(engine, about.guess):
            query = replace(query, good=about.guess)
        elif query == conditions.ConditionsQuery():
            # Nothing in the text is a place, a good, a topic or a period.
            close = [
                c.entry.display
                for c in (
                    *(parsed.market.candidates if parsed.market else ()),
                    *parsed.commodity.candidates,
                )
            ][:5]
            if close:
                raise NotFound(
                    "Nothing matches “{text}”. Close names: {names}.",
                    text=about.guess,
                    names=", ".join(close),
                )
            raise NotFound(
                "Nothing matches “{text}”: try a place such as Hyesan, a good such as Lingzhi "
                "or a topic such as border or smuggling.",
                text=about.guess,
            )
    return conditions.answer(engine, catalogue, query, today=today, lang=lang)


def brief_command(
    engine: Engine, catalogue: Catalogue, text: str, *, today: date, lang: str
) -> Reply:
    """Answer /brief PLACE."""
    if not text.strip():
        raise InvalidInput(BRIEF_USAGE, is_html=True)
    prices.check_length(text)
    place = catalogue.markets.resolve(text.strip())
    if place.match is None:
        return prices.did_you_mean(
            catalogue, place, text.strip(), "market", lang, lambda mid: callbacks.encode("b", mid)
        )
    return conditions.brief(engine, catalogue, place.match.entry.id, today=today, lang=lang)


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

"""Answering "what does X cost (in Y) (when)" from the database."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import callbacks
from bot.domain.dates import PartialDate
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.i18n import N_, Translator
from bot.domain.matching import Resolution
from bot.domain.prices import (
    MAX_RATE_GAP_DAYS,
    SAME_PERIOD_DAYS,
    Conversion,
    Figure,
    MarketPrice,
    Observation,
    Rate,
    cadence_days,
    conversion_target,
    convert,
    same_period,
    spread,
)
from bot.domain.query import parse_query
from bot.domain.units import UNSPECIFIED
from bot.i18n import translator
from bot.rendering import answers
from bot.rendering.replies import Button, InlineResult, Reply
from bot.services.catalogue import Catalogue
from db import repo
from db.models import PriceObservation
from db.repo import PriceRow

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


def market_prices(
    session: Session,
    rows: Sequence[PriceRow],
    catalogue: Catalogue,
    *,
    lang: str,
    currency: str | None = None,
) -> list[MarketPrice]:
    """Group figures (newest first) by market: latest, previous of its series, record, conversion.

    Figures are converted into `currency` when one is asked, else won and yuan into dollars.
    """
    by_market: OrderedDict[int, list[PriceRow]] = OrderedDict()
    for row in rows:
        by_market.setdefault(row.market_id, []).append(row)
    items = []
    for market_rows in by_market.values():
        # Undated figures of one report come in the order the report gives them.
        market_rows.sort(key=_newest_first, reverse=True)
        latest = market_rows[0]
        series = [r for r in market_rows if _series(r) == _series(latest)]
        previous = previous_in_series(latest, series[1:])
        observation = to_observation(latest, catalogue, lang=lang)
        target = currency if currency is not None else conversion_target(latest.currency)
        if target == latest.currency:
            target = None
        context = repo.series_context(
            session, row=latest, rate_commodities=_rate_commodities(catalogue, latest, target)
        )
        highest = context.get(("high", ""))
        # A record needs history: at least two earlier dated figures of the same series.
        record = (
            latest.observed_on is not None
            and highest is not None
            and sum(1 for r in series[1:] if r.observed_on is not None) >= 2
            and latest.price_high > highest.price_high
        )
        rates = {}
        for code in {key for key, kind in context if kind in ("before", "after")}:
            near = [context[(code, k)] for k in ("before", "after") if (code, k) in context]
            rates[code] = _nearest(observation, near, catalogue, lang)
        converted = convert(observation, rates, target) if target else None
        if converted is None and currency is not None and target is not None:
            converted = _at_latest_rates(session, observation, latest, catalogue, target, lang)
        others = _other_sources(session, latest, market_rows)
        mids = [_per_base_mid(r) for r in (latest, *others) if _comparable(r, latest)]
        items.append(
            MarketPrice(
                latest=observation,
                previous=to_observation(previous, catalogue, lang=lang) if previous else None,
                is_record_high=record,
                converted=converted,
                others=tuple(to_observation(r, catalogue, lang=lang) for r in others),
                spread_percent=spread(mids),
                cadence_days=cadence_days([r.observed_on for r in series if r.observed_on]),
            )
        )
    return items


def _newest_first(row: PriceRow) -> tuple[date, int, int]:
    return (row.sort_on, row.report_order or 0, row.id)


def previous_in_series(latest: PriceRow, earlier: Sequence[PriceRow]) -> PriceRow | None:
    """Return the figure a series' latest moved from, among its earlier ones (newest first).

    A dated figure's previous is the next dated one: an undated figure has no place in time. An
    undated figure's previous is an undated one of the same report that the report puts before
    it ("before" / "recently": `report_order`); without that order there is none.
    """
    if latest.observed_on is not None:
        return next((r for r in earlier if r.observed_on is not None), None)
    link = latest.source_url or latest.via_url
    if latest.report_order is None or link is None:
        return None
    before = [
        r
        for r in earlier
        if r.observed_on is None
        and (r.source_url or r.via_url) == link
        and r.report_order is not None
        and r.report_order < latest.report_order
    ]
    return max(before, key=lambda r: r.report_order) if before else None


def _other_sources(
    session: Session, latest: PriceRow, market_rows: Sequence[PriceRow]
) -> list[PriceRow]:
    """Return other sources' figures for the latest one's good, place and period, one per source."""
    observed = PartialDate(latest.observed_on, latest.observed_precision)
    if observed.value is None or observed.precision in ("year", "unknown"):
        return []
    start = min(observed.value - timedelta(days=SAME_PERIOD_DAYS), observed.value.replace(day=1))
    # The rows at hand hold the period when they reach back past its start; else ask.
    if market_rows[-1].sort_on < start:
        near = [r for r in market_rows if r.sort_on >= start]
    else:
        near = repo.figures_since(
            session, commodity_id=latest.commodity_id, market_id=latest.market_id, start=start
        )
    chosen: dict[str, PriceRow] = {}
    for row in near:
        name = row.source_name.casefold()
        if (
            row.id != latest.id
            and name != latest.source_name.casefold()
            and name not in chosen
            and same_period(observed, PartialDate(row.observed_on, row.observed_precision))
        ):
            chosen[name] = row
    return list(chosen.values())[:MAX_OTHER_SOURCES]


MAX_OTHER_SOURCES = 4


def _comparable(row: PriceRow, latest: PriceRow) -> bool:
    return (row.currency, row.unit_base, row.price_type) == (
        latest.currency,
        latest.unit_base,
        latest.price_type,
    ) and row.unit_base != UNSPECIFIED


def _per_base_mid(row: PriceRow) -> float:
    low: float = row.per_base_low or row.price_low
    high: float = row.per_base_high or row.price_high
    return (low + high) / 2


def _at_latest_rates(
    session: Session,
    observation: Observation,
    row: PriceRow,
    catalogue: Catalogue,
    target: str,
    lang: str,
) -> Conversion | None:
    """Convert at the latest market rates of the figure's market, else of a place it lies in."""
    places = [row.market_id, *catalogue.ancestors(row.market_id)]
    rates: dict[str, Rate] = {}
    for code, rate_commodity in _rate_commodities(catalogue, row, target).items():
        found = repo.recent_prices(
            session, commodity_id=rate_commodity, market_ids=places, per_market=1
        )
        dated = [r for r in found if r.observed_on is not None and r.price_type == "market"]
        if not dated:
            return None
        nearest_place = min(dated, key=lambda r: places.index(r.market_id))
        rates[code] = _nearest(observation, [nearest_place], catalogue, lang)
    return convert(observation, rates, target, latest=True)


def _rate_commodities(catalogue: Catalogue, row: PriceRow, target: str | None) -> dict[str, int]:
    """Return the rate series needed to convert a figure into `target` through won."""
    if target is None:
        return {}
    wanted = {row.currency, target} - {"KPW"}
    return {
        code: cid
        for code, cid in catalogue.currency_commodities.items()
        if code in wanted and cid != row.commodity_id
    }


def _nearest(
    observation: Observation,
    rows: Sequence[PriceRow | PriceObservation],
    catalogue: Catalogue,
    lang: str,
) -> Rate:
    def gap(row: PriceRow | PriceObservation) -> int:
        observed_on: date | None = row.observed_on
        if observation.observed.value is None or observed_on is None:
            return 0
        return abs((observed_on - observation.observed.value).days)

    row = min(rows, key=gap)
    code = next(
        code for code, cid in catalogue.currency_commodities.items() if cid == row.commodity_id
    )
    return Rate(
        currency=code,
        kpw_per_unit=(row.per_base_low + (row.per_base_high or row.per_base_low)) / 2
        if row.per_base_low
        else row.price_low,
        observed=PartialDate(row.observed_on, row.observed_precision),
        market=catalogue.market_labels[row.market_id].in_lang(lang),
        source_url=row.source_url or row.via_url,
    )


def _series(row: PriceRow) -> tuple[str, str, str, str]:
    # A change of unit, currency, price type or source starts a new series (as FEWS NET does).
    return (row.price_type, row.currency, row.unit, row.source_name)


def to_observation(
    row: PriceRow | PriceObservation, catalogue: Catalogue, *, lang: str
) -> Observation:
    """Turn a stored row into the domain view used for rendering."""
    assert row.id is not None
    return Observation(
        id=row.id,
        commodity=catalogue.commodity_labels[row.commodity_id].in_lang(lang),
        market=catalogue.market_labels[row.market_id].in_lang(lang),
        market_parent=catalogue.market_parent_label(row.market_id, lang),
        figure=Figure(low=row.price_low, high=row.price_high, currency=row.currency, unit=row.unit),
        grade=row.grade,
        price_type=row.price_type,
        observed=PartialDate(row.observed_on, row.observed_precision),
        reported_on=row.reported_on,
        source_name=row.source_name,
        source_url=row.source_url,
        reliability=row.reliability,
        note=row.note,
        via=row.via,
        via_url=row.via_url,
        date_inferred=bool(row.date_inferred),
        report_order=row.report_order,
    )


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

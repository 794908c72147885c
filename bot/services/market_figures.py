"""A market's figures read together: the latest, the one it moved from, other sources of the same
period, how often the series comes, and the latest converted at the market's own rates."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlmodel import Session

from bot.domain.dates import PartialDate
from bot.domain.prices import (
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
from bot.domain.units import UNSPECIFIED
from bot.services.catalogue import Catalogue
from db import repo
from db.models import PriceObservation
from db.repo import PriceRow

# What `period_figures` reads of a row: a price row, or a digest's series figure.
SameSeries = PriceRow | repo.SeriesFigure


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
            rates[code] = nearest_rate(observation, near, catalogue, lang)
        converted = convert(observation, rates, target) if target else None
        if converted is None and currency is not None and target is not None:
            converted = _at_latest_rates(session, observation, latest, catalogue, target, lang)
        others = _other_sources(session, latest, market_rows)
        mids = [per_base(r).mid for r in (latest, *others) if _comparable(r, latest)]
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


def _newest_first(row: PriceRow) -> tuple[date, int, int, int]:
    # On the same date a retail price is the one shown (WFP reports wholesale beside it).
    return (row.sort_on, row.report_order or 0, row.price_type == "retail", row.id)


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


def period_figures(
    session: Session, row: SameSeries, at_hand: Sequence[PriceRow] = ()
) -> list[PriceRow]:
    """Return the figures of a row's good and place for the row's period (`same_period`), newest
    first, the row itself left out; none for a row without a day or month.

    `at_hand` is the market's newest rows already read: when they reach back past the period's
    start they hold it, and nothing is asked of the database.
    """
    observed = PartialDate(row.observed_on, row.observed_precision)
    if observed.value is None or observed.precision not in ("day", "month"):
        return []
    start = min(observed.value - timedelta(days=SAME_PERIOD_DAYS), observed.value.replace(day=1))
    if at_hand and at_hand[-1].sort_on < start:
        near = [r for r in at_hand if r.sort_on >= start]
    else:
        near = repo.figures_since(
            session, commodity_id=row.commodity_id, market_id=row.market_id, start=start
        )
    return [
        r
        for r in near
        if r.id != row.id
        and same_period(observed, PartialDate(r.observed_on, r.observed_precision))
    ]


def _other_sources(
    session: Session, latest: PriceRow, market_rows: Sequence[PriceRow]
) -> list[PriceRow]:
    """Return other sources' figures for the latest one's good, place and period, one per source."""
    chosen: dict[str, PriceRow] = {}
    for row in period_figures(session, latest, market_rows):
        name = row.source_name.casefold()
        if name != latest.source_name.casefold() and name not in chosen:
            chosen[name] = row
    return list(chosen.values())[:MAX_OTHER_SOURCES]


MAX_OTHER_SOURCES = 4


def _comparable(row: PriceRow, latest: PriceRow) -> bool:
    return (row.currency, row.unit_base, row.price_type) == (
        latest.currency,
        latest.unit_base,
        latest.price_type,
    ) and row.unit_base != UNSPECIFIED


def per_base(row: PriceRow | PriceObservation) -> Figure:
    """Return a stored figure per base unit (per kg, litre, piece ...), as reported otherwise."""
    return Figure(
        row.per_base_low or row.price_low,
        row.per_base_high or row.price_high,
        row.currency,
        row.unit_base,
    )


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
        rates[code] = nearest_rate(observation, [nearest_place], catalogue, lang)
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


def nearest_rate(
    observation: Observation,
    rows: Sequence[PriceRow | PriceObservation],
    catalogue: Catalogue,
    lang: str,
) -> Rate:
    """Return, of a market's rate rows, the one nearest in date to the figure, as a Rate."""

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
        usd_price=getattr(row, "usd_price", None),
    )

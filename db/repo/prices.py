"""Price queries and writes; every function takes the Session explicitly and keyword-only arguments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    Row,
    Select,
    SQLColumnExpression,
    bindparam,
    func,
    literal,
    or_,
    union_all,
)
from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from db.models import UNDATED, PriceObservation, table_of

__all__ = [
    "PriceRow",
    "add_price",
    "commodities_with_figures",
    "figure_counts",
    "figures_since",
    "latest_in_markets",
    "latest_price",
    "nearest_rates",
    "price_exists",
    "price_history",
    "recent_prices",
    "series_context",
]

# A plain result row of the price table: attribute access like the model, none of the ORM cost.
PriceRow = Row[*tuple[Any, ...]]
_PRICES = table_of(PriceObservation)


def price_exists(session: Session, *, natural_key: str) -> bool:
    """Tell whether a figure with this natural key is already stored."""
    return (
        session.exec(
            select(PriceObservation.id).where(PriceObservation.natural_key == natural_key)
        ).first()
        is not None
    )


def add_price(session: Session, *, observation: PriceObservation) -> PriceObservation:
    """Stage a new price observation."""
    session.add(observation)
    return observation


def latest_price(session: Session, *, commodity_id: int, market_id: int) -> PriceObservation | None:
    """Return the latest live figure of a commodity in a market (one indexed lookup)."""
    query = (
        select(PriceObservation)
        .where(
            PriceObservation.commodity_id == commodity_id,
            PriceObservation.market_id == market_id,
            col(PriceObservation.deleted_at).is_(None),
        )
        .order_by(col(PriceObservation.sort_on).desc(), col(PriceObservation.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def recent_prices(
    session: Session,
    *,
    commodity_id: int,
    market_ids: Sequence[int] | None = None,
    per_market: int = 12,
    start: date | None = None,
    end: date | None = None,
) -> list[PriceRow]:
    """Return up to `per_market` latest live figures per market for one commodity, newest first.

    Rows are plain result rows (attribute access like the model, none of the ORM cost). With
    `start`/`end`, only figures observed in that period count (undated ones never do).
    """
    p = _PRICES.c
    where = [p.commodity_id == commodity_id, p.deleted_at.is_(None)]
    if start is not None or end is not None:
        where.append(p.observed_on.is_not(None))
    if start is not None:
        where.append(p.sort_on >= start)
    if end is not None:
        where.append(p.sort_on <= end)
    newest_first = (p.sort_on.desc(), p.id.desc())
    if market_ids is not None and len(market_ids) == 1:
        # One market: walk the series index backwards and stop; the statement is built once.
        params = {
            "commodity_id": commodity_id,
            "market_id": market_ids[0],
            "start": start,
            "end": end,
        }
        query = _one_market_statement(per_market, start is not None, end is not None)
        return list(session.connection().execute(query, params))
    if market_ids is not None:
        where.append(p.market_id.in_(list(market_ids)))
    ranked = (
        select(
            p.id,
            func.row_number().over(partition_by=p.market_id, order_by=newest_first).label("rank"),
        )
        .where(*where)
        .subquery()
    )
    query = (
        core_select(_PRICES)
        .join(ranked, ranked.c.id == p.id)
        .where(ranked.c.rank <= per_market)
        .order_by(*newest_first)
    )
    return list(session.connection().execute(query))


@cache
def _one_market_statement(limit: int, has_start: bool, has_end: bool) -> Select[*tuple[Any, ...]]:
    p = _PRICES.c
    where = [
        p.commodity_id == bindparam("commodity_id"),
        p.market_id == bindparam("market_id"),
        p.deleted_at.is_(None),
    ]
    if has_start or has_end:
        where.append(p.observed_on.is_not(None))
    if has_start:
        where.append(p.sort_on >= bindparam("start", type_=Date))
    if has_end:
        where.append(p.sort_on <= bindparam("end", type_=Date))
    return core_select(_PRICES).where(*where).order_by(p.sort_on.desc(), p.id.desc()).limit(limit)


def figures_since(
    session: Session, *, commodity_id: int, market_id: int, start: date, limit: int = 50
) -> list[PriceRow]:
    """Return a market's live dated figures of one commodity from `start` on, newest first."""
    return list(
        session.connection().execute(
            _since_statement(), {"commodity_id": commodity_id, "market_id": market_id,
                                 "start": start, "limit": limit}
        )
    )  # fmt: skip


@cache
def _since_statement() -> Select[*tuple[Any, ...]]:
    p = _PRICES.c
    return (
        core_select(_PRICES)
        .where(
            p.commodity_id == bindparam("commodity_id"),
            p.market_id == bindparam("market_id"),
            p.sort_on >= bindparam("start", type_=Date),
            p.observed_on.is_not(None),
            p.deleted_at.is_(None),
        )
        .order_by(p.sort_on.desc(), p.id.desc())
        .limit(bindparam("limit"))
    )


def series_context(
    session: Session, *, row: PriceRow, rate_commodities: dict[str, int]
) -> dict[tuple[str, str], PriceRow]:
    """Return, in one round trip of index seeks, what a figure is judged against.

    ("high", "") is the series' highest other dated figure; (currency, "before"/"after") are the
    same market's market rates nearest in date. An undated figure only gets undated rates from
    the same report. Each row holds only _CONTEXT_COLUMNS.
    """
    currencies = tuple(sorted(rate_commodities))
    query = _context_statement(len(currencies), row.sort_on == UNDATED)
    params: dict[str, Any] = {
        "commodity_id": row.commodity_id,
        "market_id": row.market_id,
        "price_type": row.price_type,
        "currency": row.currency,
        "unit": row.unit,
        "source_name": row.source_name,
        "id": row.id,
        "sort_on": row.sort_on,
        "report_link": row.source_url or row.via_url,
        "undated": UNDATED,
    }
    for index, currency in enumerate(currencies):
        params[f"rate_{index}"] = rate_commodities[currency]
    out: dict[tuple[str, str], PriceRow] = {}
    for found in session.connection().execute(query, params):
        if found.ctx_kind == "high":
            out[("high", "")] = found
        else:
            out[(currencies[found.ctx_index], found.ctx_kind)] = found
    return out


# What a figure is judged against needs these of each row (a series' high, a market rate): a
# third of the table's columns, and of the SQL sent per answer (it was 6.8 KB with all of them).
_CONTEXT_COLUMNS = (
    "id", "commodity_id", "market_id", "observed_on", "observed_precision", "price_low",
    "price_high", "per_base_low", "per_base_high", "source_url", "via_url",
)  # fmt: skip


@cache
def _context_statement(rate_count: int, undated: bool) -> CompoundSelect[*tuple[Any, ...]]:
    p = _PRICES.c
    table = [p[name] for name in _CONTEXT_COLUMNS]
    parts = [
        core_select(*table, literal("high").label("ctx_kind"), literal(-1).label("ctx_index"))
        .where(
            p.commodity_id == bindparam("commodity_id"),
            p.market_id == bindparam("market_id"),
            p.price_type == bindparam("price_type"),
            p.currency == bindparam("currency"),
            p.unit == bindparam("unit"),
            p.source_name == bindparam("source_name"),
            p.deleted_at.is_(None),
            # observed_on, not sort_on: a range on sort_on would steer the planner off the index.
            p.observed_on.is_not(None),
            p.id != bindparam("id"),
        )
        .order_by(p.price_high.desc())
        .limit(1)
    ]
    for index in range(rate_count):
        for kind in ("before", "after"):
            q = core_select(
                *table, literal(kind).label("ctx_kind"), literal(index).label("ctx_index")
            ).where(
                p.commodity_id == bindparam(f"rate_{index}"),
                p.market_id == bindparam("market_id"),
                p.price_type == "market",
                p.deleted_at.is_(None),
            )
            if undated:
                q = q.where(
                    p.sort_on == bindparam("undated", type_=Date),
                    func.coalesce(p.source_url, p.via_url) == bindparam("report_link"),
                )
            sort_on = bindparam("sort_on", type_=Date)
            if kind == "before":
                q = q.where(p.sort_on <= sort_on).order_by(p.sort_on.desc(), p.id.desc())
            else:
                q = q.where(p.sort_on > sort_on).order_by(p.sort_on, p.id)
            parts.append(q.limit(1))
    return union_all(*(part.subquery().select() for part in parts))


def nearest_rates(
    session: Session, *, observations: Sequence[PriceObservation], rate_commodities: dict[str, int]
) -> dict[int, dict[str, list[PriceObservation]]]:
    """Return, per figure, the same market's market-rate rows just before and after its date.

    One query whatever the number of figures: correlated lookups on the series index. An undated
    figure only gets undated rates from the same report.
    """
    if not observations or not rate_commodities:
        return {}
    o = aliased(PriceObservation)
    columns: list[SQLColumnExpression[Any]] = [col(o.id)]
    labels: list[tuple[str, bool]] = []
    for currency, commodity_id in rate_commodities.items():
        for before in (True, False):
            r = aliased(PriceObservation)
            q = select(r.id).where(
                r.commodity_id == commodity_id,
                r.market_id == o.market_id,
                r.price_type == "market",
                col(r.deleted_at).is_(None),
                or_(
                    col(o.sort_on) != UNDATED,
                    func.coalesce(r.source_url, r.via_url)
                    == func.coalesce(o.source_url, o.via_url),
                ),
            )
            if before:
                q = q.where(r.sort_on <= o.sort_on).order_by(
                    col(r.sort_on).desc(), col(r.id).desc()
                )
            else:
                q = q.where(r.sort_on > o.sort_on).order_by(col(r.sort_on), col(r.id))
            columns.append(q.limit(1).correlate(o).scalar_subquery())
            labels.append((currency, before))
    wanted = [obs.id for obs in observations]
    found: dict[int, list[tuple[str, int]]] = {}
    for row in session.exec(select(*columns).where(col(o.id).in_(wanted))):
        found[row[0]] = [(labels[i][0], rid) for i, rid in enumerate(row[1:]) if rid is not None]
    ids = {rid for pairs in found.values() for _, rid in pairs}
    rows = (
        {
            r.id: r
            for r in session.exec(select(PriceObservation).where(col(PriceObservation.id).in_(ids)))
        }
        if ids
        else {}
    )
    out: dict[int, dict[str, list[PriceObservation]]] = {}
    for obs_id, pairs in found.items():
        for currency, rid in pairs:
            out.setdefault(obs_id, {}).setdefault(currency, []).append(rows[rid])
    return out


def price_history(
    session: Session,
    *,
    commodity_id: int,
    market_ids: Sequence[int] | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = 5000,
) -> list[PriceObservation]:
    """Return dated live figures of a commodity, oldest first (the newest `limit` of them)."""
    p = PriceObservation
    query = select(p).where(
        p.commodity_id == commodity_id, col(p.deleted_at).is_(None), col(p.observed_on).is_not(None)
    )
    if market_ids is not None:
        query = query.where(col(p.market_id).in_(list(market_ids)))
    if start is not None:
        query = query.where(p.sort_on >= start)
    if end is not None:
        query = query.where(p.sort_on <= end)
    rows = list(session.exec(query.order_by(col(p.sort_on).desc(), col(p.id).desc()).limit(limit)))
    rows.reverse()
    return rows


def latest_in_markets(
    session: Session, *, market_ids: Sequence[int], limit: int = 100
) -> list[PriceObservation]:
    """Return the latest live figure of every commodity in the given places, newest first."""
    p = PriceObservation
    ranked = (
        select(
            p.id,
            func.row_number()
            .over(
                partition_by=(col(p.commodity_id), col(p.market_id)),
                order_by=(col(p.sort_on).desc(), col(p.id).desc()),
            )
            .label("rank"),
        )
        .where(col(p.market_id).in_(list(market_ids)), col(p.deleted_at).is_(None))
        .subquery()
    )
    query = (
        select(p)
        .join(ranked, ranked.c.id == p.id)
        .where(ranked.c.rank == 1)
        .order_by(col(p.sort_on).desc(), col(p.id).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def figure_counts(
    session: Session, *, by: str, market_ids: Sequence[int] | None = None
) -> dict[int, int]:
    """Return the number of live figures per commodity (`by="commodity"`) or per place,
    optionally only in some places."""
    column = col(PriceObservation.commodity_id if by == "commodity" else PriceObservation.market_id)
    query = (
        select(column, func.count())
        .where(col(PriceObservation.deleted_at).is_(None))
        .group_by(column)
    )
    if market_ids is not None:
        query = query.where(col(PriceObservation.market_id).in_(list(market_ids)))
    return dict(session.exec(query).all())


def commodities_with_figures(
    session: Session, *, commodity_ids: Sequence[int], market_ids: Sequence[int]
) -> list[int]:
    """Of these goods, those with a live figure in one of these places, by id."""
    query = (
        select(PriceObservation.commodity_id)
        .where(
            col(PriceObservation.commodity_id).in_(list(commodity_ids)),
            col(PriceObservation.market_id).in_(list(market_ids)),
            col(PriceObservation.deleted_at).is_(None),
        )
        .distinct()
        .order_by(col(PriceObservation.commodity_id))
    )
    return list(session.exec(query))

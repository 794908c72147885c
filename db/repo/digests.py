"""What digests and alerts read: the latest figure of every series, series highs, new trade
reports, and the figure a new one is compared with. Session first, keyword-only arguments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from db.models import UNDATED, PriceObservation, TradeReport, TradeReportCommodity, table_of

__all__ = [
    "SeriesFigure",
    "latest_per_series",
    "new_trade_reports",
    "other_high_in_series",
    "previous_border_status",
    "previous_in_series",
    "reports_by_id",
    "series_highs",
]

P = PriceObservation
# SQLite allows 999 bound parameters per statement; id lists are bound in chunks below that.
_ID_CHUNK = 900


class SeriesFigure(Protocol):
    """The columns of a figure a digest line is made of: a PriceObservation, or a plain result
    row of those columns (what `latest_per_series` returns, without the ORM's cost)."""

    @property
    def id(self) -> int | None: ...
    @property
    def commodity_id(self) -> int: ...
    @property
    def market_id(self) -> int: ...
    @property
    def price_low(self) -> float: ...
    @property
    def price_high(self) -> float: ...
    @property
    def currency(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def observed_on(self) -> date | None: ...
    @property
    def observed_precision(self) -> str: ...
    @property
    def sort_on(self) -> date: ...
    @property
    def source_name(self) -> str: ...
    @property
    def source_url(self) -> str | None: ...
    @property
    def reliability(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def via(self) -> str | None: ...
    @property
    def via_url(self) -> str | None: ...


_PRICES = table_of(PriceObservation)
_p = _PRICES.c
# The columns of SeriesFigure, in that order.
_SERIES_COLUMNS = (
    _p.id,
    _p.commodity_id,
    _p.market_id,
    _p.price_low,
    _p.price_high,
    _p.currency,
    _p.unit,
    _p.observed_on,
    _p.observed_precision,
    _p.sort_on,
    _p.source_name,
    _p.source_url,
    _p.reliability,
    _p.created_at,
    _p.via,
    _p.via_url,
)


def _live_figures(
    commodity_ids: Sequence[int] | None, market_ids: Sequence[int] | None
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [_p.deleted_at.is_(None)]
    if commodity_ids is not None:
        where.append(_p.commodity_id.in_(commodity_ids))
    if market_ids is not None:
        where.append(_p.market_id.in_(market_ids))
    return where


def latest_per_series(
    session: Session,
    *,
    commodity_ids: Sequence[int] | None = None,
    market_ids: Sequence[int] | None = None,
    created_by: datetime | None = None,
    dated_by: date | None = None,
) -> dict[tuple[int, int], SeriesFigure]:
    """Return the latest live figure of each (commodity, market) pair, in one windowed query.

    None means no filter on goods or places. `created_by`: only figures entered by then count;
    `dated_by`: only dated figures observed (or reported) by that day count. Rows are plain
    result rows, none of the ORM's cost.
    """
    where = _live_figures(commodity_ids, market_ids)
    if created_by is not None:
        where.append(_p.created_at <= created_by)
    if dated_by is not None:
        where.extend((_p.sort_on <= dated_by, _p.sort_on > UNDATED))
    rank = (
        func.row_number()
        .over(
            partition_by=(_p.commodity_id, _p.market_id),
            order_by=(_p.sort_on.desc(), _p.id.desc()),
        )
        .label("rank")
    )
    inner = core_select(*_SERIES_COLUMNS, rank).where(*where).subquery()
    rows = session.connection().execute(core_select(inner).where(inner.c.rank == 1))
    return {(row.commodity_id, row.market_id): row for row in rows}


def series_highs(
    session: Session,
    *,
    created_by: datetime,
    commodity_ids: Sequence[int] | None = None,
    market_ids: Sequence[int] | None = None,
) -> dict[tuple[int, int, str, str], float]:
    """Return the highest live figure entered by `created_by` of each series, keyed by
    (commodity, market, currency, unit)."""
    group = (_p.commodity_id, _p.market_id, _p.currency, _p.unit)
    rows = session.connection().execute(
        core_select(*group, func.max(_p.price_high))
        .where(*_live_figures(commodity_ids, market_ids), _p.created_at <= created_by)
        .group_by(*group)
    )
    return {(c, m, cur, unit): high for c, m, cur, unit, high in rows}


def new_trade_reports(
    session: Session,
    *,
    since: datetime,
    market_ids: Sequence[int] | None = None,
    commodity_ids: Sequence[int] | None = None,
    limit: int = 30,
) -> list[TradeReport]:
    """Return live trade reports entered after `since`, newest first: at one of `market_ids`
    and naming one of `commodity_ids` (None: any)."""
    query = (
        select(TradeReport)
        .where(col(TradeReport.deleted_at).is_(None), col(TradeReport.created_at) > since)
        .order_by(col(TradeReport.sort_on).desc(), col(TradeReport.id).desc())
        .limit(limit)
    )
    if market_ids is not None:
        query = query.where(col(TradeReport.market_id).in_(market_ids))
    if commodity_ids is not None:
        query = query.where(
            col(TradeReport.id).in_(
                select(TradeReportCommodity.report_id).where(
                    col(TradeReportCommodity.commodity_id).in_(commodity_ids)
                )
            )
        )
    return list(session.exec(query))


def _others_in_series(observation: PriceObservation) -> tuple[ColumnElement[bool], ...]:
    """The other live figures of the same series (same place, good, currency and unit)."""
    return (
        col(P.commodity_id) == observation.commodity_id,
        col(P.market_id) == observation.market_id,
        col(P.deleted_at).is_(None),
        col(P.id) != observation.id,
        col(P.currency) == observation.currency,
        col(P.unit) == observation.unit,
    )


def previous_in_series(
    session: Session, *, observation: PriceObservation
) -> PriceObservation | None:
    """Return the latest other live dated figure of the observation's series (an undated figure
    has no place in time: it is no figure's previous)."""
    query = (
        select(P)
        .where(*_others_in_series(observation), col(P.observed_on).is_not(None))
        .order_by(col(P.sort_on).desc(), col(P.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def other_high_in_series(session: Session, *, observation: PriceObservation) -> float | None:
    """Return the highest price of the other live figures of the observation's series."""
    query = select(func.max(col(P.price_high))).where(*_others_in_series(observation))
    return session.exec(query).one()


def previous_border_status(session: Session, *, report: TradeReport) -> str | None:
    """Return the border status of the place's newest live report before `report` (by sort_on,
    then id) that states one; None when no earlier report does."""
    t = TradeReport
    earlier = or_(
        col(t.sort_on) < report.sort_on,
        and_(col(t.sort_on) == report.sort_on, col(t.id) < report.id),
    )
    query = (
        select(t.border_status)
        .where(
            col(t.market_id) == report.market_id,
            col(t.deleted_at).is_(None),
            col(t.border_status).is_not(None),
            col(t.id) != report.id,
            earlier,
        )
        .order_by(col(t.sort_on).desc(), col(t.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def reports_by_id(session: Session, *, report_ids: Sequence[int]) -> list[TradeReport]:
    """Return the stored reports among `report_ids` (deleted ones too), in no set order."""
    ids = sorted(set(report_ids))
    out: list[TradeReport] = []
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start : start + _ID_CHUNK]
        out.extend(session.exec(select(TradeReport).where(col(TradeReport.id).in_(chunk))))
    return out

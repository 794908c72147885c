"""Finding trade-condition reports: by place, good, topic, period and words, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import String, cast, func, or_
from sqlmodel import Session, col, select

from db.models import UNDATED, TradeReport, TradeReportCommodity

__all__ = ["ReportFilter", "ReportsKnown", "find_reports", "report_counts", "reports_known"]


@dataclass(frozen=True)
class ReportFilter:
    """What to look for; every part that is set must match (topics: any of them)."""

    market_ids: Sequence[int] | None = None  # None: every place
    commodity_id: int | None = None  # linked to the report
    topics: Sequence[str] = ()
    start: date | None = None  # a period never holds undated reports
    end: date | None = None
    words: Sequence[str] = ()  # each in the summary, any case ("Russia")
    good: str | None = None  # a good as the report names it ("mobile phones")


@dataclass(frozen=True)
class ReportsKnown:
    """What is stored for a place: how many reports, on which topics, over which dates."""

    count: int
    topics: dict[str, int]
    first: date | None
    last: date | None
    undated: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(f: ReportFilter) -> list[Any]:
    t = TradeReport
    where: list[Any] = [col(t.deleted_at).is_(None)]
    if f.market_ids is not None:
        ids = list(f.market_ids)
        where.append(col(t.market_id) == ids[0] if len(ids) == 1 else col(t.market_id).in_(ids))
    if f.commodity_id is not None:
        linked = select(TradeReportCommodity.report_id).where(
            TradeReportCommodity.commodity_id == f.commodity_id
        )
        where.append(col(t.id).in_(linked))
    if f.topics:
        # Topics are a JSON list of plain words; its text holds each as "word" on every backend.
        text = cast(col(t.topics), String)
        clauses = [text.like(_like(f'"{topic}"'), escape="\\") for topic in f.topics]
        where.append(or_(*clauses))
    if f.start is not None or f.end is not None:
        where.append(col(t.observed_on).is_not(None))
    if f.start is not None:
        where.append(col(t.sort_on) >= f.start)
    if f.end is not None:
        where.append(col(t.sort_on) <= f.end)
    for word in f.words:
        where.append(col(t.summary).ilike(_like(word), escape="\\"))
    if f.good:
        where.append(cast(col(t.goods), String).ilike(_like(f.good), escape="\\"))
    return where


def find_reports(
    session: Session, f: ReportFilter, *, offset: int = 0, limit: int = 3
) -> list[TradeReport]:
    """Return live reports matching `f`, newest first (undated last); ask one more than a page
    to learn whether another page follows."""
    t = TradeReport
    query = (
        select(t)
        .where(*_where(f))
        .order_by(col(t.sort_on).desc(), col(t.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(query))


def reports_known(session: Session, *, market_ids: Sequence[int] | None) -> ReportsKnown:
    """Summarise the live reports of some places (None: all): count, topics and date range."""
    t = TradeReport
    where = _where(ReportFilter(market_ids=market_ids))
    dated = [*where, col(t.sort_on) > UNDATED]
    count, first, last = session.exec(
        select(func.count(), func.min(t.sort_on), func.max(t.sort_on)).where(*dated)
    ).one()
    undated = session.exec(
        select(func.count()).select_from(t).where(*where, col(t.sort_on) == UNDATED)
    ).one()
    topics: dict[str, int] = {}
    for row in session.exec(select(t.topics).where(*where)):
        for topic in row or ():
            topics[topic] = topics.get(topic, 0) + 1
    return ReportsKnown(count + undated, topics, first, last, undated)


def report_counts(session: Session) -> dict[int, int]:
    """Return the number of live reports filed per place."""
    t = TradeReport
    query = (
        select(t.market_id, func.count())
        .where(col(t.deleted_at).is_(None))
        .group_by(col(t.market_id))
    )
    return dict(session.exec(query).all())

"""Finding trade-condition reports: by place, good, topic, period and words, newest first."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, String, Table, bindparam, case, cast, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection

from db.models import UNDATED, TradeReport, TradeReportCommodity, table_of

REPORTS: Table = table_of(TradeReport)

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


def find_reports(
    conn: Connection, f: ReportFilter, *, offset: int = 0, limit: int = 3
) -> list[Row[Any]]:
    """Return live reports matching `f`, newest first (undated last), as rows with the report's
    columns; ask one more than a page to learn whether another page follows.

    The statement is built once per shape of filter and run with bound values: on 100,000
    reports the database answers in a tenth of a millisecond, and building an ORM query each
    time would cost three times that.
    """
    shape = (
        f.market_ids is not None,
        f.commodity_id is not None,
        len(f.topics),
        f.start is not None,
        f.end is not None,
        len(f.words),
        bool(f.good),
    )
    statement = _STATEMENTS.get(shape)
    if statement is None:
        statement = _STATEMENTS.setdefault(shape, _statement(*shape))
    values: dict[str, Any] = {"offset": offset, "limit": limit}
    if f.market_ids is not None:
        values["markets"] = list(f.market_ids)
    if f.commodity_id is not None:
        values["commodity"] = f.commodity_id
    for i, topic in enumerate(f.topics):
        values[f"topic{i}"] = _like(f'"{topic}"')
    if f.start is not None:
        values["start"] = f.start
    if f.end is not None:
        values["end"] = f.end
    for i, word in enumerate(f.words):
        values[f"word{i}"] = _like(word)
    if f.good:
        values["good"] = _like(f.good)
    return list(conn.execute(statement, values))


_STATEMENTS: dict[tuple[object, ...], Select[Any]] = {}


def _statement(
    markets: bool, commodity: bool, topics: int, start: bool, end: bool, words: int, good: bool
) -> Select[Any]:
    t = REPORTS.c
    where: list[Any] = [t.deleted_at.is_(None)]
    if markets:
        where.append(t.market_id.in_(bindparam("markets", expanding=True)))
    if commodity:
        links = table_of(TradeReportCommodity).c
        where.append(
            t.id.in_(sa_select(links.report_id).where(links.commodity_id == bindparam("commodity")))
        )
    if topics:
        text = cast(t.topics, String)
        where.append(or_(*(text.like(bindparam(f"topic{i}"), escape="\\") for i in range(topics))))
    if start or end:
        where.append(t.observed_on.is_not(None))
    if start:
        where.append(t.sort_on >= bindparam("start"))
    if end:
        where.append(t.sort_on <= bindparam("end"))
    for i in range(words):
        where.append(t.summary.ilike(bindparam(f"word{i}"), escape="\\"))
    if good:
        where.append(cast(t.goods, String).ilike(bindparam("good"), escape="\\"))
    return (
        sa_select(REPORTS)
        .where(*where)
        .order_by(t.sort_on.desc(), t.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def reports_known(conn: Connection, *, market_ids: Sequence[int] | None) -> ReportsKnown:
    """Summarise the live reports of some places (None: all): count, topics and date range."""
    t = REPORTS.c
    where: list[Any] = [t.deleted_at.is_(None)]
    if market_ids is not None:
        where.append(t.market_id.in_(list(market_ids)))
    dated = t.sort_on > UNDATED
    first, last = conn.execute(
        sa_select(func.min(t.sort_on), func.max(t.sort_on)).where(*where, dated)
    ).one()
    count = undated = 0
    topics: dict[str, int] = {}
    # Grouped by the stored list: a few hundred distinct lists at most, however many reports.
    listed = cast(t.topics, String)
    grouped = sa_select(
        listed, func.count(), func.sum(case((t.sort_on == UNDATED, 1), else_=0))
    ).where(*where)
    for text, n, n_undated in conn.execute(grouped.group_by(listed)):
        count += n
        undated += n_undated or 0
        for topic in json.loads(text or "[]"):
            topics[topic] = topics.get(topic, 0) + n
    return ReportsKnown(count, topics, first, last, undated)


def report_counts(conn: Connection) -> dict[int, int]:
    """Return the number of live reports filed per place."""
    t = REPORTS.c
    query = sa_select(t.market_id, func.count()).where(t.deleted_at.is_(None)).group_by(t.market_id)
    return {market_id: n for market_id, n in conn.execute(query)}

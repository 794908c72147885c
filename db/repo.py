"""Queries and writes; every function takes the Session explicitly and keyword-only arguments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.models import (
    ChatUser,
    Commodity,
    CommodityAlias,
    Market,
    MarketAlias,
    PriceObservation,
    TradeReport,
    TradeReportCommodity,
)


def upsert_commodity(
    session: Session, *, values: dict, aliases: Iterable[tuple[str, str, str]], now: datetime
) -> Commodity:
    """Create or update a commodity by slug and add any (text, lang, normalized) alias it lacks."""
    row = session.exec(select(Commodity).where(Commodity.slug == values["slug"])).first()
    if row is None:
        row = Commodity(**values, created_at=now)
        session.add(row)
        session.flush()
    else:
        for key, value in values.items():
            setattr(row, key, value)
    known = set(
        session.exec(select(CommodityAlias.normalized).where(CommodityAlias.commodity_id == row.id))
    )
    for text, lang, normalized in aliases:
        if normalized and normalized not in known:
            known.add(normalized)
            session.add(
                CommodityAlias(commodity_id=row.id, text=text, lang=lang, normalized=normalized)
            )
    return row


def upsert_market(
    session: Session, *, values: dict, aliases: Iterable[tuple[str, str, str]], now: datetime
) -> Market:
    """Create or update a place by slug and add any alias it lacks."""
    row = session.exec(select(Market).where(Market.slug == values["slug"])).first()
    if row is None:
        row = Market(**values, created_at=now)
        session.add(row)
        session.flush()
    else:
        for key, value in values.items():
            setattr(row, key, value)
    known = set(session.exec(select(MarketAlias.normalized).where(MarketAlias.market_id == row.id)))
    for text, lang, normalized in aliases:
        if normalized and normalized not in known:
            known.add(normalized)
            session.add(MarketAlias(market_id=row.id, text=text, lang=lang, normalized=normalized))
    return row


def commodities_with_aliases(session: Session) -> list[tuple[Commodity, list[CommodityAlias]]]:
    """Return every commodity with its aliases."""
    aliases: dict[int, list[CommodityAlias]] = {}
    for alias in session.exec(select(CommodityAlias)):
        aliases.setdefault(alias.commodity_id, []).append(alias)
    return [
        (c, aliases.get(c.id or 0, []))
        for c in session.exec(select(Commodity).order_by(Commodity.id))
    ]


def markets_with_aliases(session: Session) -> list[tuple[Market, list[MarketAlias]]]:
    """Return every place with its aliases."""
    aliases: dict[int, list[MarketAlias]] = {}
    for alias in session.exec(select(MarketAlias)):
        aliases.setdefault(alias.market_id, []).append(alias)
    return [
        (m, aliases.get(m.id or 0, [])) for m in session.exec(select(Market).order_by(Market.id))
    ]


def count_commodities(session: Session) -> int:
    """Return how many commodities the catalogue holds."""
    return session.exec(select(func.count()).select_from(Commodity)).one()


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


def trade_report_exists(session: Session, *, natural_key: str) -> bool:
    """Tell whether a report with this natural key is already stored."""
    return (
        session.exec(select(TradeReport.id).where(TradeReport.natural_key == natural_key)).first()
        is not None
    )


def add_trade_report(
    session: Session, *, report: TradeReport, commodity_ids: Sequence[int]
) -> TradeReport:
    """Stage a trade-condition report and its linked goods."""
    session.add(report)
    session.flush()
    for commodity_id in sorted(set(commodity_ids)):
        session.add(TradeReportCommodity(report_id=report.id, commodity_id=commodity_id))
    return report


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
) -> list[PriceObservation]:
    """Return up to `per_market` latest live figures per market for one commodity, newest first."""
    ranked = select(
        PriceObservation.id,
        func.row_number()
        .over(
            partition_by=PriceObservation.market_id,
            order_by=(col(PriceObservation.sort_on).desc(), col(PriceObservation.id).desc()),
        )
        .label("rank"),
    ).where(
        PriceObservation.commodity_id == commodity_id, col(PriceObservation.deleted_at).is_(None)
    )
    if market_ids is not None:
        ranked = ranked.where(col(PriceObservation.market_id).in_(list(market_ids)))
    sub = ranked.subquery()
    query = (
        select(PriceObservation)
        .join(sub, sub.c.id == PriceObservation.id)
        .where(sub.c.rank <= per_market)
        .order_by(col(PriceObservation.sort_on).desc(), col(PriceObservation.id).desc())
    )
    return list(session.exec(query))


def markets_by_ids(session: Session, *, ids: Iterable[int]) -> dict[int, Market]:
    """Return places keyed by id."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    return {
        m.id: m
        for m in session.exec(select(Market).where(col(Market.id).in_(wanted)))
        if m.id is not None
    }


def child_market_ids(session: Session, *, parent_id: int) -> list[int]:
    """Return the ids of the places inside a province or country (two levels down)."""
    level1 = list(session.exec(select(Market.id).where(Market.parent_id == parent_id)))
    level2 = (
        list(session.exec(select(Market.id).where(col(Market.parent_id).in_(level1))))
        if level1
        else []
    )
    return [i for i in (*level1, *level2) if i is not None]


def touch_user(
    session: Session, *, telegram_id: int, username: str | None, language: str | None, now: datetime
) -> ChatUser:
    """Create or refresh a chat user; an explicit language choice is never overwritten."""
    user = session.get(ChatUser, telegram_id)
    if user is None:
        user = ChatUser(
            telegram_id=telegram_id, username=username, language=language, created_at=now
        )
        session.add(user)
    else:
        user.username = username
    user.last_seen_at = now
    return user

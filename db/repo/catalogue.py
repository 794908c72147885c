"""Catalogue, users, trade reports, rights and audit: Session first, keyword-only arguments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import or_
from sqlmodel import Session, col, select

from db.models import (
    AuditLog,
    ChatUser,
    Commodity,
    CommodityAlias,
    Market,
    MarketAlias,
    PriceObservation,
    TradeReport,
    TradeReportCommodity,
)

__all__ = [
    "add_alias",
    "add_audit",
    "add_trade_report",
    "admin_ids",
    "commodities_with_aliases",
    "create_commodity",
    "create_market",
    "entries_by",
    "markets_with_aliases",
    "recent_audit",
    "report_goods",
    "set_role",
    "set_user_language",
    "touch_user",
    "trade_report_exists",
    "unique_slug",
    "upsert_commodity",
    "upsert_market",
]

Aliases = Iterable[tuple[str, str, str]]
_Named = TypeVar("_Named", Commodity, Market)


def upsert_commodity(
    session: Session, *, values: dict[str, Any], aliases: Aliases, now: datetime
) -> Commodity:
    """Create or update a commodity by slug and add any (text, lang, normalized) alias it lacks."""
    return _upsert(session, Commodity, values, aliases, now)


def upsert_market(
    session: Session, *, values: dict[str, Any], aliases: Aliases, now: datetime
) -> Market:
    """Create or update a place by slug and add any alias it lacks."""
    return _upsert(session, Market, values, aliases, now)


def create_commodity(
    session: Session, *, values: dict[str, Any], aliases: Aliases, now: datetime
) -> Commodity:
    """Insert a new commodity; a taken slug gets a suffix (-2, -3 ...): nothing existing changes."""
    return _create(session, Commodity, values, aliases, now)


def create_market(
    session: Session, *, values: dict[str, Any], aliases: Aliases, now: datetime
) -> Market:
    """Insert a new place under an existing parent; a taken slug gets a suffix."""
    parent_id = values.get("parent_id")
    if parent_id is not None and session.get(Market, parent_id) is None:
        raise ValueError(f"no place {parent_id} to put a new place under")
    return _create(session, Market, values, aliases, now)


def unique_slug(session: Session, *, model: type[Commodity] | type[Market], base: str) -> str:
    """Return `base`, or `base-2`, `base-3` ... whichever no row of `model` has yet."""
    taken = set(
        session.exec(
            select(model.slug).where(
                or_(col(model.slug) == base, col(model.slug).like(f"{base}-%"))
            )
        ).all()
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _create(
    session: Session, model: type[_Named], values: dict[str, Any], aliases: Aliases, now: datetime
) -> _Named:
    slug = unique_slug(session, model=model, base=values["slug"])
    row = model(**{**values, "slug": slug}, created_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    kind = "commodity" if model is Commodity else "market"
    for text, lang, normalized in aliases:
        if normalized:
            add_alias(
                session, kind=kind, owner_id=row.id, text=text, lang=lang, normalized=normalized
            )
    return row


def _upsert(
    session: Session, model: type[_Named], values: dict[str, Any], aliases: Aliases, now: datetime
) -> _Named:
    row = session.exec(select(model).where(col(model.slug) == values["slug"])).first()
    if row is None:
        row = model(**values, created_at=now)
        session.add(row)
        session.flush()
    else:
        for key, value in values.items():
            setattr(row, key, value)
    assert row.id is not None
    kind = "commodity" if model is Commodity else "market"
    known = set(_alias_names(session, kind=kind, owner_id=row.id))
    for text, lang, normalized in aliases:
        if normalized and normalized not in known:
            known.add(normalized)
            add_alias(
                session, kind=kind, owner_id=row.id, text=text, lang=lang, normalized=normalized
            )
    return row


def _alias_names(session: Session, *, kind: str, owner_id: int) -> list[str]:
    if kind == "commodity":
        return list(
            session.exec(
                select(CommodityAlias.normalized).where(CommodityAlias.commodity_id == owner_id)
            )
        )
    return list(
        session.exec(select(MarketAlias.normalized).where(MarketAlias.market_id == owner_id))
    )


def commodities_with_aliases(session: Session) -> list[tuple[Commodity, list[CommodityAlias]]]:
    """Return every commodity with its aliases."""
    aliases: dict[int, list[CommodityAlias]] = {}
    for alias in session.exec(select(CommodityAlias)):
        aliases.setdefault(alias.commodity_id, []).append(alias)
    return [
        (c, aliases.get(c.id or 0, []))
        for c in session.exec(select(Commodity).order_by(col(Commodity.id)))
    ]


def markets_with_aliases(session: Session) -> list[tuple[Market, list[MarketAlias]]]:
    """Return every place with its aliases."""
    aliases: dict[int, list[MarketAlias]] = {}
    for alias in session.exec(select(MarketAlias)):
        aliases.setdefault(alias.market_id, []).append(alias)
    return [
        (m, aliases.get(m.id or 0, []))
        for m in session.exec(select(Market).order_by(col(Market.id)))
    ]


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
    assert report.id is not None
    for commodity_id in sorted(set(commodity_ids)):
        session.add(TradeReportCommodity(report_id=report.id, commodity_id=commodity_id))
    return report


def touch_user(
    session: Session, *, telegram_id: int, username: str | None, language: str | None, now: datetime
) -> ChatUser:
    """Create or refresh a chat user; an explicit language choice is never overwritten.

    On PostgreSQL the commit does not wait for the disk: a last-seen time lost in a crash
    costs nothing, and every first message of a user waits for this write."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("SET LOCAL synchronous_commit = off")
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


def report_goods(session: Session, *, report_ids: Sequence[int]) -> dict[int, list[int]]:
    """Return the commodity ids linked to each report."""
    if not report_ids:
        return {}
    out: dict[int, list[int]] = {}
    query = select(TradeReportCommodity).where(
        col(TradeReportCommodity.report_id).in_(list(report_ids))
    )
    for link in session.exec(query):
        out.setdefault(link.report_id, []).append(link.commodity_id)
    return out


def set_user_language(
    session: Session, *, telegram_id: int, language: str, now: datetime
) -> ChatUser:
    """Store a user's chosen reply language."""
    user = session.get(ChatUser, telegram_id)
    if user is None:
        user = ChatUser(telegram_id=telegram_id, created_at=now)
        session.add(user)
    user.language = language
    user.last_seen_at = now
    return user


def admin_ids(session: Session) -> list[int]:
    """Return the ids of users granted admin rights in the database."""
    return list(session.exec(select(ChatUser.telegram_id).where(ChatUser.role == "admin")))


def set_role(
    session: Session, *, telegram_id: int, role: str, now: datetime
) -> tuple[str | None, ChatUser]:
    """Set a user's role, creating the user row if needed; return the previous role and the user."""
    user = session.get(ChatUser, telegram_id)
    before = user.role if user is not None else None
    if user is None:
        user = ChatUser(telegram_id=telegram_id, created_at=now)
        session.add(user)
    user.role = role
    return before, user


def add_audit(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    """Stage one audit row."""
    session.add(
        AuditLog(
            actor_id=actor_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
            created_at=now,
        )
    )


def recent_audit(session: Session, *, limit: int = 20) -> list[AuditLog]:
    """Return the newest audit rows."""
    return list(session.exec(select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)))


def entries_by(
    session: Session, *, telegram_id: int, limit: int = 10
) -> list[PriceObservation | TradeReport]:
    """Return a user's newest live price figures and reports, newest first."""
    prices = list(
        session.exec(
            select(PriceObservation)
            .where(
                PriceObservation.entered_by == telegram_id,
                col(PriceObservation.deleted_at).is_(None),
            )
            .order_by(col(PriceObservation.created_at).desc(), col(PriceObservation.id).desc())
            .limit(limit)
        )
    )
    reports = list(
        session.exec(
            select(TradeReport)
            .where(TradeReport.entered_by == telegram_id, col(TradeReport.deleted_at).is_(None))
            .order_by(col(TradeReport.created_at).desc(), col(TradeReport.id).desc())
            .limit(limit)
        )
    )
    both: list[PriceObservation | TradeReport] = [*prices, *reports]
    both.sort(key=lambda row: row.created_at, reverse=True)
    return both[:limit]


def add_alias(
    session: Session, *, kind: str, owner_id: int, text: str, lang: str, normalized: str
) -> None:
    """Stage a new alias of a commodity (`kind="commodity"`) or a place."""
    if kind == "commodity":
        session.add(
            CommodityAlias(commodity_id=owner_id, text=text, lang=lang, normalized=normalized)
        )
    else:
        session.add(MarketAlias(market_id=owner_id, text=text, lang=lang, normalized=normalized))

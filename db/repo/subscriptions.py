"""Subscriptions: who gets which digest when, and the alert class of each series."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.models import AlertState, ConditionCheck, Subscription, table_of

__all__ = [
    "DueSubscription",
    "add_subscription",
    "alert_state",
    "alert_subscribers",
    "chat_subscriptions",
    "claim_condition_check",
    "condition_checked",
    "condition_subscribers",
    "deactivate_chat",
    "due_subscription_rows",
    "migrate_chat",
    "reactivate_chat",
    "set_alert_state",
    "set_next_due_times",
    "subscriber_counts",
    "unsubscribe",
]

# Deactivations the bot made because a chat could not be reached; /start undoes these, not a
# user's own /unsubscribe.
DELIVERY_REASONS = ("blocked", "chat not found", "kicked", "deactivated")
# SQLite allows 999 bound parameters per statement; id lists are bound in chunks below that.
_ID_CHUNK = 900
_SUBSCRIPTIONS = table_of(Subscription)


def is_postgres(session: Session) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


# subscriptions


def chat_subscriptions(
    session: Session, *, chat_id: int, active_only: bool = True
) -> list[Subscription]:
    """Return a chat's subscriptions, oldest first."""
    query = select(Subscription).where(Subscription.chat_id == chat_id)
    if active_only:
        query = query.where(col(Subscription.active).is_(True))
    return list(session.exec(query.order_by(col(Subscription.id))))


def add_subscription(
    session: Session, *, values: dict[str, Any], now: datetime
) -> tuple[Subscription, bool]:
    """Insert a subscription, or reactivate the chat's one with the same filters.

    Returns the subscription and whether it is new (False: it already existed).
    """
    existing = session.exec(
        select(Subscription).where(
            Subscription.chat_id == values["chat_id"],
            Subscription.filter_key == values["filter_key"],
        )
    ).first()
    if existing is not None:
        was_active = existing.active
        for key, value in values.items():
            setattr(existing, key, value)
        existing.active = True
        existing.deactivated_reason = None
        existing.updated_at = now
        session.add(existing)
        return existing, not was_active
    subscription = Subscription(**values, created_at=now, updated_at=now)
    session.add(subscription)
    session.flush()
    return subscription, True


def unsubscribe(session: Session, *, chat_id: int, ids: Sequence[int] | None, now: datetime) -> int:
    """Stop a chat's subscriptions (all, or the given ids); return how many were stopped."""
    query = update(Subscription).where(
        col(Subscription.chat_id) == chat_id, col(Subscription.active).is_(True)
    )
    if ids is not None:
        query = query.where(col(Subscription.id).in_(list(ids)))
    result = session.exec(
        query.values(active=False, deactivated_reason="unsubscribed", updated_at=now)
    )
    return int(result.rowcount or 0)


def deactivate_chat(session: Session, *, chat_id: int, reason: str, now: datetime) -> int:
    """Stop every active subscription of a chat the bot can no longer reach."""
    result = session.exec(
        update(Subscription)
        .where(col(Subscription.chat_id) == chat_id, col(Subscription.active).is_(True))
        .values(active=False, deactivated_reason=reason[:200], updated_at=now)
    )
    return int(result.rowcount or 0)


def reactivate_chat(session: Session, *, chat_id: int, now: datetime) -> list[Subscription]:
    """Restart the subscriptions stopped because the chat was unreachable (not unsubscribed ones)."""
    rows = list(
        session.exec(
            select(Subscription).where(
                Subscription.chat_id == chat_id,
                col(Subscription.active).is_(False),
                col(Subscription.deactivated_reason).in_(DELIVERY_REASONS),
            )
        )
    )
    for row in rows:
        row.active = True
        row.deactivated_reason = None
        row.updated_at = now
        session.add(row)
    return rows


def migrate_chat(session: Session, *, old_chat_id: int, new_chat_id: int, now: datetime) -> int:
    """Move a group's subscriptions to its new supergroup id."""
    result = session.exec(
        update(Subscription)
        .where(col(Subscription.chat_id) == old_chat_id)
        .values(chat_id=new_chat_id, chat_type="supergroup", updated_at=now)
    )
    return int(result.rowcount or 0)


class DueSubscription(Protocol):
    """A due subscription as `due_subscription_rows` returns it: a plain row, not a model."""

    @property
    def id(self) -> int: ...
    @property
    def filter_key(self) -> str: ...
    @property
    def cadence(self) -> str: ...
    @property
    def weekday(self) -> int: ...
    @property
    def hour(self) -> int: ...
    @property
    def timezone(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def next_due_at(self) -> datetime: ...


def due_subscription_rows(
    session: Session, *, now: datetime, limit: int
) -> Sequence[DueSubscription]:
    """Active subscriptions due by `now`, oldest first, as plain rows; PostgreSQL skips rows
    another worker is queuing (FOR UPDATE SKIP LOCKED)."""
    table = _SUBSCRIPTIONS
    query = (
        core_select(
            table.c.id,
            table.c.filter_key,
            table.c.cadence,
            table.c.weekday,
            table.c.hour,
            table.c.timezone,
            table.c.language,
            table.c.next_due_at,
        )
        .where(
            table.c.active.is_(True),
            table.c.next_due_at.is_not(None),
            table.c.next_due_at <= now,
        )
        # Oldest due first, straight from the (active, next_due_at) index: no sort.
        .order_by(table.c.next_due_at)
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    return session.connection().execute(query).all()


def set_next_due_times(session: Session, *, moves: Mapping[datetime, Sequence[int]]) -> None:
    """Move subscriptions to their next due time: one UPDATE per distinct time (ids in chunks),
    not one per subscription."""
    table = _SUBSCRIPTIONS
    connection = session.connection()
    for following, ids in moves.items():
        for start in range(0, len(ids), _ID_CHUNK):
            connection.execute(
                update(table)
                .where(table.c.id.in_(ids[start : start + _ID_CHUNK]))
                .values(next_due_at=following)
            )


def subscriber_counts(session: Session) -> dict[str, int]:
    """Subscriptions and chats, active and stopped, for /stats."""
    rows = session.exec(
        select(
            Subscription.active,
            Subscription.chat_type,
            func.count(),
            func.count(func.distinct(Subscription.chat_id)),
        ).group_by(col(Subscription.active), col(Subscription.chat_type))
    ).all()
    out: Counter[str] = Counter()
    for active, chat_type, subscriptions, chats in rows:
        state = "active" if active else "stopped"
        out[f"{state}_subscriptions"] += subscriptions
        out[f"{state}_chats"] += chats
        if active:
            out[f"active_{chat_type}"] += chats
    for key, flag in (
        ("alerts", Subscription.alerts),
        ("condition_alerts", Subscription.condition_alerts),
    ):
        out[key] = int(
            session.exec(
                select(func.count()).where(col(Subscription.active).is_(True), col(flag).is_(True))
            ).one()
        )
    return dict(out)


# alerts


def alert_state(session: Session, *, commodity_id: int, market_id: int) -> AlertState | None:
    return session.get(AlertState, (commodity_id, market_id))


def set_alert_state(
    session: Session,
    *,
    commodity_id: int,
    market_id: int,
    level: str,
    observation_id: int | None,
    now: datetime,
) -> None:
    state = session.get(AlertState, (commodity_id, market_id))
    if state is None:
        state = AlertState(
            commodity_id=commodity_id, market_id=market_id, level=level, updated_at=now
        )
    state.level = level
    state.observation_id = observation_id
    state.updated_at = now
    session.add(state)


def alert_subscribers(
    session: Session, *, commodity_id: int, market_ids: Sequence[int]
) -> list[Subscription]:
    """Active subscriptions with alerts on that watch this commodity in one of these places.

    `market_ids` is the market and every place containing it. Filters are small JSON lists, so
    they are checked here rather than in SQL (portable across SQLite and PostgreSQL).
    """
    rows = session.exec(
        select(Subscription).where(
            col(Subscription.active).is_(True), col(Subscription.alerts).is_(True)
        )
    )
    places = set(market_ids)
    return [
        row
        for row in rows
        if (not row.commodity_ids or commodity_id in row.commodity_ids)
        and (not row.market_ids or places.intersection(row.market_ids))
    ]


# condition alerts


def condition_subscribers(session: Session, *, market_ids: Sequence[int]) -> list[Subscription]:
    """Active subscriptions with condition alerts on that watch one of these places.

    `market_ids` is the report's place and every place containing it: a subscription watches
    the place when its place filter names one of them, or when it has no place filter. Its
    goods filter does not narrow condition alerts: a border closing or a crackdown in a watched
    place matters whatever goods the subscriber follows. Filters are small JSON lists, checked
    here rather than in SQL (portable across SQLite and PostgreSQL).
    """
    rows = session.exec(
        select(Subscription)
        .where(col(Subscription.active).is_(True), col(Subscription.condition_alerts).is_(True))
        .order_by(col(Subscription.id))
    )
    places = set(market_ids)
    return [row for row in rows if not row.market_ids or places.intersection(row.market_ids)]


def condition_checked(session: Session, *, report_ids: Sequence[int]) -> set[int]:
    """The reports among `report_ids` already weighed for condition alerts."""
    ids = list(report_ids)
    found: set[int] = set()
    for start in range(0, len(ids), _ID_CHUNK):
        found.update(
            session.exec(
                select(ConditionCheck.report_id).where(
                    col(ConditionCheck.report_id).in_(ids[start : start + _ID_CHUNK])
                )
            )
        )
    return found


def claim_condition_check(
    session: Session, *, report_id: int, now: datetime
) -> ConditionCheck | None:
    """Record that a report is being weighed for condition alerts; None when it already was
    (by an earlier call, or by another worker in a transaction that committed first)."""
    if session.get(ConditionCheck, report_id) is not None:
        return None
    check = ConditionCheck(report_id=report_id, checked_at=now)
    try:
        with session.begin_nested():
            session.add(check)
    except IntegrityError:
        return None
    return check

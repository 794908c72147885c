"""Subscriptions, the delivery ledger, digest bodies, alert states and leases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.models import AlertState, DigestBody, DigestDelivery, Lease, Subscription

__all__ = [
    "DELIVERY_REASONS",
    "Claimed",
    "acquire_lease",
    "add_subscription",
    "alert_state",
    "alert_subscribers",
    "body_by_key",
    "chat_subscriptions",
    "claim_deliveries",
    "deactivate_chat",
    "delivery_stats",
    "due_subscription_rows",
    "finish_delivery",
    "is_postgres",
    "lease_holder",
    "live_holders",
    "migrate_chat",
    "queue_deliveries",
    "reactivate_chat",
    "record_part",
    "release_lease",
    "release_orphans",
    "requeue_delivery",
    "save_body",
    "set_alert_state",
    "subscriber_counts",
    "unsubscribe",
]

# Deactivations the bot made because a chat could not be reached; /start undoes these, not a
# user's own /unsubscribe.
DELIVERY_REASONS = ("blocked", "chat not found", "kicked", "deactivated")


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


def add_subscription(session: Session, *, values: dict, now: datetime) -> tuple[Subscription, bool]:
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
    result = session.exec(  # type: ignore[call-overload]
        query.values(active=False, deactivated_reason="unsubscribed", updated_at=now)
    )
    return int(result.rowcount or 0)


def deactivate_chat(session: Session, *, chat_id: int, reason: str, now: datetime) -> int:
    """Stop every active subscription of a chat the bot can no longer reach."""
    result = session.exec(  # type: ignore[call-overload]
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
    result = session.exec(  # type: ignore[call-overload]
        update(Subscription)
        .where(col(Subscription.chat_id) == old_chat_id)
        .values(chat_id=new_chat_id, chat_type="supergroup", updated_at=now)
    )
    return int(result.rowcount or 0)


def due_subscription_rows(session: Session, *, now: datetime, limit: int) -> list:
    """Active subscriptions due by `now`, oldest first, as plain rows; PostgreSQL skips rows
    another worker is queuing (FOR UPDATE SKIP LOCKED)."""
    table = Subscription.__table__  # type: ignore[attr-defined]
    query = (
        select(
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
    return list(session.connection().execute(query).all())


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
    out["alerts"] = int(
        session.exec(
            select(func.count()).where(
                col(Subscription.active).is_(True), col(Subscription.alerts).is_(True)
            )
        ).one()
    )
    return dict(out)


# digest bodies and the ledger


def body_by_key(session: Session, *, key: str) -> DigestBody | None:
    return session.exec(select(DigestBody).where(DigestBody.key == key)).first()


def save_body(session: Session, *, key: str, parts: list[str], now: datetime) -> int:
    """Store a composed digest once; return its id (the existing one if another worker won)."""
    existing = body_by_key(session, key=key)
    if existing is not None:
        assert existing.id is not None
        return existing.id
    body = DigestBody(key=key, parts=parts, created_at=now)
    try:
        with session.begin_nested():
            session.add(body)
    except IntegrityError:
        existing = body_by_key(session, key=key)
        assert existing is not None and existing.id is not None
        return existing.id
    assert body.id is not None
    return body.id


_QUEUE = text(
    "INSERT INTO digestdelivery (subscription_id, period_key, kind, body_id, status, attempts, "
    "due_at, message_ids, created_at, updated_at) "
    "VALUES (:subscription_id, :period_key, :kind, :body_id, 'pending', 0, :due_at, '[]', "
    ":now, :now) ON CONFLICT (subscription_id, period_key) DO NOTHING"
)


def queue_deliveries(session: Session, *, rows: Sequence[dict], now: datetime) -> int:
    """Queue many ledger rows in one executemany; a (subscription, period) already queued is
    skipped. Rows carry subscription_id, period_key, kind, body_id and due_at; constants are in
    the statement, so only what varies is bound per row. Returns the rows added."""
    if not rows:
        return 0
    deliveries = DigestDelivery.__table__  # type: ignore[attr-defined]
    statement = _QUEUE.bindparams(
        bindparam("due_at", type_=deliveries.c.due_at.type),
        bindparam("now", value=now, type_=deliveries.c.created_at.type),
    )
    result = session.connection().execute(statement, [dict(row, now=now) for row in rows])
    # sqlite3 and psycopg both report the sum over an executemany's rows (skipped ones are 0).
    return int(result.rowcount)


@dataclass(frozen=True)
class Claimed:
    """A ledger row handed to one sender, with what it needs to send it."""

    id: int
    subscription_id: int
    chat_id: int
    chat_type: str
    kind: str
    parts: tuple[str, ...]
    sent_parts: int
    attempts: int


def claim_deliveries(session: Session, *, holder: str, now: datetime, limit: int) -> list[Claimed]:
    """Mark up to `limit` due pending rows as being sent by `holder` and return them.

    PostgreSQL: rows are locked with FOR UPDATE SKIP LOCKED, so several workers claim disjoint
    rows. SQLite: a single sender holds the lease, so a plain select is enough.
    """
    query = (
        select(DigestDelivery.id)
        .where(DigestDelivery.status == "pending", col(DigestDelivery.due_at) <= now)
        .order_by(col(DigestDelivery.due_at), col(DigestDelivery.id))
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    ids = list(session.exec(query))
    if not ids:
        return []
    session.exec(  # type: ignore[call-overload]
        update(DigestDelivery)
        .where(col(DigestDelivery.id).in_(ids))
        .values(status="sending", claimed_by=holder, claimed_at=now, updated_at=now)
    )
    rows = session.exec(
        select(DigestDelivery, Subscription, DigestBody)
        .join(Subscription, col(Subscription.id) == DigestDelivery.subscription_id)
        .join(DigestBody, col(DigestBody.id) == DigestDelivery.body_id)
        .where(col(DigestDelivery.id).in_(ids))
        .order_by(col(DigestDelivery.due_at), col(DigestDelivery.id))
    ).all()
    return [
        Claimed(
            id=delivery.id,
            subscription_id=subscription.id,
            chat_id=subscription.chat_id,
            chat_type=subscription.chat_type,
            kind=delivery.kind,
            parts=tuple(body.parts),
            sent_parts=len(delivery.message_ids or []),
            attempts=delivery.attempts,
        )
        for delivery, subscription, body in rows
    ]


def record_part(session: Session, *, delivery_id: int, message_id: int, now: datetime) -> None:
    """Remember that one part of a delivery went out, so a restart resumes after it."""
    delivery = session.get(DigestDelivery, delivery_id)
    if delivery is None:
        return
    delivery.message_ids = [*(delivery.message_ids or []), message_id]
    delivery.updated_at = now
    session.add(delivery)


def finish_delivery(
    session: Session,
    *,
    delivery_id: int,
    status: str,
    now: datetime,
    error: str | None = None,
    mark_digest: bool = True,
) -> None:
    """End a ledger row as sent, blocked or failed."""
    delivery = session.get(DigestDelivery, delivery_id)
    if delivery is None:
        return
    delivery.status = status
    delivery.error = error[:500] if error else None
    delivery.attempts += 1
    delivery.updated_at = now
    if status == "sent":
        delivery.sent_at = now
        if mark_digest and delivery.kind == "digest":
            session.exec(  # type: ignore[call-overload]
                update(Subscription)
                .where(col(Subscription.id) == delivery.subscription_id)
                .values(last_digest_at=now)
            )
    session.add(delivery)


def requeue_delivery(
    session: Session, *, delivery_id: int, due_at: datetime, error: str, now: datetime
) -> None:
    """Put a row back in the queue for a later attempt."""
    session.exec(  # type: ignore[call-overload]
        update(DigestDelivery)
        .where(col(DigestDelivery.id) == delivery_id)
        .values(
            status="pending",
            due_at=due_at,
            error=error[:500],
            attempts=DigestDelivery.attempts + 1,
            claimed_by=None,
            updated_at=now,
        )
    )


def release_orphans(session: Session, *, live: Iterable[str], now: datetime) -> int:
    """Return to the queue rows left 'sending' by a sender that is gone (crashed or killed)."""
    live = list(live)
    query = update(DigestDelivery).where(col(DigestDelivery.status) == "sending")
    if live:
        query = query.where(
            or_(
                col(DigestDelivery.claimed_by).is_(None),
                col(DigestDelivery.claimed_by).not_in(live),
            )
        )
    result = session.exec(  # type: ignore[call-overload]
        query.values(status="pending", claimed_by=None, updated_at=now)
    )
    return int(result.rowcount or 0)


def delivery_stats(session: Session, *, since: datetime) -> dict[str, dict[str, int]]:
    """Deliveries created since a time, by kind and status, for /stats."""
    rows = session.exec(
        select(DigestDelivery.kind, DigestDelivery.status, func.count())
        .where(col(DigestDelivery.created_at) >= since)
        .group_by(col(DigestDelivery.kind), col(DigestDelivery.status))
    ).all()
    out: dict[str, dict[str, int]] = {}
    for kind, status, count in rows:
        out.setdefault(kind, {})[status] = count
    return out


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


# leases


def acquire_lease(
    session: Session,
    *,
    name: str,
    holder: str,
    now: datetime,
    ttl: float,
    takeover: Iterable[str] = (),
) -> bool:
    """Take or renew a named lease; True when `holder` has it until now + ttl.

    An expired lease, or one whose holder is listed in `takeover` (known dead), can be taken.
    """
    expires = now + timedelta(seconds=ttl)
    takeover = list(takeover)
    condition = or_(col(Lease.holder) == holder, col(Lease.expires_at) < now)
    if takeover:
        condition = or_(condition, col(Lease.holder).in_(takeover))
    result = session.exec(  # type: ignore[call-overload]
        update(Lease)
        .where(and_(col(Lease.name) == name, condition))
        .values(holder=holder, expires_at=expires)
    )
    if result.rowcount:
        return True
    if session.get(Lease, name) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Lease(name=name, holder=holder, expires_at=expires))
    except IntegrityError:
        return False
    return True


def lease_holder(session: Session, *, name: str) -> Lease | None:
    return session.get(Lease, name)


def release_lease(session: Session, *, name: str, holder: str) -> None:
    session.exec(  # type: ignore[call-overload]
        update(Lease)
        .where(col(Lease.name) == name, col(Lease.holder) == holder)
        .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC))
    )


def live_holders(session: Session, *, prefix: str, now: datetime) -> list[str]:
    """Holders of unexpired leases whose name starts with `prefix` (the live workers)."""
    return list(
        session.exec(
            select(Lease.holder).where(
                col(Lease.name).startswith(prefix), col(Lease.expires_at) >= now
            )
        )
    )

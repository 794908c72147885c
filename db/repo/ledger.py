"""The delivery ledger: composed bodies, queued deliveries, claims and outcomes, and the leases
that decide who sends."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from sqlalchemy import and_, bindparam, func, or_, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.models import DigestBody, DigestDelivery, Lease, Subscription, table_of
from db.repo.subscriptions import is_postgres

__all__ = [
    "Claimed",
    "NewDelivery",
    "acquire_lease",
    "claim_deliveries",
    "delivery_stats",
    "finish_delivery",
    "lease_holder",
    "live_holders",
    "queue_deliveries",
    "record_part",
    "release_lease",
    "release_orphans",
    "requeue_delivery",
    "save_body",
]


# digest bodies and the ledger


def _body_by_key(session: Session, *, key: str) -> DigestBody | None:
    return session.exec(select(DigestBody).where(DigestBody.key == key)).first()


def save_body(session: Session, *, key: str, parts: list[str], now: datetime) -> int:
    """Store a composed digest once; return its id (the existing one if another worker won)."""
    existing = _body_by_key(session, key=key)
    if existing is not None:
        assert existing.id is not None
        return existing.id
    body = DigestBody(key=key, parts=parts, created_at=now)
    try:
        with session.begin_nested():
            session.add(body)
    except IntegrityError:
        existing = _body_by_key(session, key=key)
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


class NewDelivery(TypedDict):
    """One ledger row to queue: what varies per row of `queue_deliveries`' executemany."""

    subscription_id: int
    period_key: str
    kind: str
    body_id: int
    due_at: datetime


def queue_deliveries(session: Session, *, rows: Sequence[NewDelivery], now: datetime) -> int:
    """Queue many ledger rows in one executemany; a (subscription, period) already queued is
    skipped. Rows carry subscription_id, period_key, kind, body_id and due_at; constants are in
    the statement, so only what varies is bound per row. Returns the rows added."""
    if not rows:
        return 0
    deliveries = table_of(DigestDelivery)
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
    session.exec(
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
    claimed = []
    for delivery, subscription, body in rows:
        assert delivery.id is not None and subscription.id is not None  # stored rows have ids
        claimed.append(
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
        )
    return claimed


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
            session.exec(
                update(Subscription)
                .where(col(Subscription.id) == delivery.subscription_id)
                .values(last_digest_at=now)
            )
    session.add(delivery)


def requeue_delivery(
    session: Session, *, delivery_id: int, due_at: datetime, error: str, now: datetime
) -> None:
    """Put a row back in the queue for a later attempt."""
    session.exec(
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
    result = session.exec(query.values(status="pending", claimed_by=None, updated_at=now))
    return int(result.rowcount or 0)


def delivery_backlog(session: Session) -> int:
    """Deliveries queued or being sent (for /metrics)."""
    query = select(func.count()).where(col(DigestDelivery.status).in_(("pending", "sending")))
    return int(session.exec(query).one())


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
    result = session.exec(
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
    session.exec(
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

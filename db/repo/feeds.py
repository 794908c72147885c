"""Feeds, their claims and the editors' inbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from db.models import ChatUser, Feed, FeedItem, SourceCode

__all__ = [
    "claim_feed",
    "claimed_holders",
    "count_pending",
    "due_feed_ids",
    "feed_by_id",
    "feed_checks",
    "feeds",
    "inbox_item",
    "inbox_subscribers",
    "known_entry_keys",
    "known_links",
    "pending_items",
    "release_feed",
    "set_item_status",
    "unlinked_codes",
]


def feeds(session: Session) -> list[Feed]:
    return list(session.exec(select(Feed).order_by(col(Feed.id))))


def feed_by_id(session: Session, *, feed_id: int) -> Feed | None:
    return session.get(Feed, feed_id)


def due_feed_ids(session: Session, *, now: datetime) -> list[int]:
    """Feeds not paused whose next check is due, longest overdue first."""
    query = (
        select(Feed.id)
        .where(col(Feed.paused).is_(False), col(Feed.next_due_at) <= now)
        .order_by(col(Feed.next_due_at), col(Feed.id))
    )
    return [i for i in session.exec(query) if i is not None]


def claim_feed(
    session: Session,
    *,
    feed_id: int,
    holder: str,
    now: datetime,
    stale_before: datetime,
    takeover: Iterable[str] = (),
    due_only: bool = True,
) -> bool:
    """Claim one feed for a check (one UPDATE: the first process to run it wins); a claim older
    than `stale_before`, or held by a process known dead, is taken over."""
    free = or_(col(Feed.claimed_by).is_(None), col(Feed.claimed_at) < stale_before)
    dead = list(takeover)
    if dead:
        free = or_(free, col(Feed.claimed_by).in_(dead))
    condition = and_(col(Feed.id) == feed_id, free)
    if due_only:
        condition = and_(condition, col(Feed.paused).is_(False), col(Feed.next_due_at) <= now)
    result = session.exec(update(Feed).where(condition).values(claimed_by=holder, claimed_at=now))
    return bool(result.rowcount)


def release_feed(session: Session, *, feed_id: int, holder: str, values: dict[str, Any]) -> None:
    """Record a check's outcome and give up the claim (only the claim's holder can)."""
    session.exec(
        update(Feed)
        .where(col(Feed.id) == feed_id, col(Feed.claimed_by) == holder)
        .values(**values, claimed_by=None, claimed_at=None)
    )


def claimed_holders(session: Session) -> list[str]:
    query = select(Feed.claimed_by).where(col(Feed.claimed_by).is_not(None)).distinct()
    return [h for h in session.exec(query) if h]


def feed_checks(session: Session) -> dict[str, datetime]:
    """{a feed's dataset link (what its figures cite): when the feed was last checked}."""
    rows = session.exec(
        select(Feed.url, Feed.resource_url, Feed.last_result, Feed.last_checked_at).where(
            col(Feed.last_checked_at).is_not(None)
        )
    )
    found: dict[str, datetime] = {}
    for url, resource, result, checked in rows:
        assert checked is not None
        cites = (result or {}).get("cites") if isinstance(result, dict) else None
        for link in (url, resource, cites):
            if link:
                found[str(link)] = checked
    return found


def known_entry_keys(session: Session, *, feed_id: int, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    query = select(FeedItem.entry_key).where(
        col(FeedItem.feed_id) == feed_id, col(FeedItem.entry_key).in_(list(keys))
    )
    return set(session.exec(query))


def pending_items(
    session: Session, *, limit: int, since: datetime | None = None
) -> list[tuple[FeedItem, str]]:
    """Inbox items waiting for an editor, newest first, with their feed's name."""
    query = (
        select(FeedItem, Feed.name)
        .join(Feed, col(Feed.id) == col(FeedItem.feed_id))
        .where(col(FeedItem.status) == "pending")
        .order_by(col(FeedItem.created_at).desc(), col(FeedItem.id).desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(col(FeedItem.created_at) > since)
    return [(item, name) for item, name in session.exec(query)]


def count_pending(session: Session) -> int:
    query = select(func.count()).select_from(FeedItem).where(col(FeedItem.status) == "pending")
    return int(session.exec(query).one())


def known_links(session: Session, *, urls: Sequence[str]) -> set[str]:
    """Of these article links, those some feed queued already."""
    if not urls:
        return set()
    query = select(FeedItem.url).where(col(FeedItem.url).in_(list(urls)))
    return {u for u in session.exec(query) if u}


def inbox_item(session: Session, *, item_id: int) -> FeedItem | None:
    return session.get(FeedItem, item_id)


def set_item_status(
    session: Session, *, item_id: int, status: str, actor_id: int | None, now: datetime,
    only_pending: bool = True,
) -> bool:  # fmt: skip
    """Mark an inbox item saved or dismissed; False when it was decided already."""
    condition = col(FeedItem.id) == item_id
    if only_pending:
        condition = and_(condition, col(FeedItem.status) == "pending")
    result = session.exec(
        update(FeedItem).where(condition).values(status=status, decided_by=actor_id, decided_at=now)
    )
    return bool(result.rowcount)


def unlinked_codes(session: Session, *, system: str) -> list[SourceCode]:
    """Entries created from a publisher's names, not yet linked to an existing entry."""
    query = (
        select(SourceCode)
        .where(col(SourceCode.system) == system, col(SourceCode.created).is_(True))
        .order_by(col(SourceCode.kind), col(SourceCode.name))
    )
    return list(session.exec(query))


def inbox_subscribers(session: Session) -> list[ChatUser]:
    """Users who asked for the inbox's daily message (the caller checks they are editors)."""
    return list(session.exec(select(ChatUser).where(col(ChatUser.inbox_daily).is_(True))))

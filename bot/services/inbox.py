"""News feeds into the editors' inbox: new entries of an RSS or Atom feed are fetched and read
by the article intake, and wait as inbox items until an editor opens one into the intake review
(and saves it) or dismisses it. Nothing from a news feed is published without an editor.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, update

from bot.domain.errors import DomainError, InvalidInput, NotFound
from bot.domain.intake import Article, IntakeResult
from bot.services.catalogue import Catalogue, CatalogueStore
from bot.services.clock import Clock
from bot.services.fetching import FetchLimits, fetch_resource
from bot.services.intake import Intake
from bot.services.price_feeds import Outcome
from db.models import ChatUser, Feed, FeedItem
from db.repo import feeds as feed_repo

__all__ = ["Inbox", "InboxEntry", "check_news"]

logger = logging.getLogger(__name__)
_FEED_TYPES = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
# A feed document is read within this (bytes).
FEED_BYTES = 5_000_000
MAX_TITLE = 300


@dataclass(frozen=True)
class InboxEntry:
    """An inbox item as listed: its title, link, date, feed and what the intake found."""

    id: int
    feed: str
    title: str
    url: str | None
    published: datetime | None
    publisher: str | None
    figures: list[dict[str, Any]]
    report: dict[str, Any] | None
    error: str | None
    status: str
    created_at: datetime


def check_news(
    feed: Feed,
    *,
    engine: Engine,
    intake: Intake,
    catalogue: CatalogueStore,
    limits: FetchLimits,
    max_entries: int,
    now: datetime,
) -> Outcome:
    """Check a news feed: each entry not seen before is read and queued in the inbox."""
    import feedparser  # only where feeds are read

    got = fetch_resource(
        feed.url,
        limits=FetchLimits(timeout=limits.timeout, max_bytes=FEED_BYTES,
                           allow_private=limits.allow_private),
        etag=feed.etag,
        last_modified=feed.last_modified,
        accept=_FEED_TYPES,
    )  # fmt: skip
    outcome = Outcome(
        changed=False,
        etag=got.etag or (feed.etag if got.status == 304 else None),
        last_modified=got.last_modified or (feed.last_modified if got.status == 304 else None),
    )
    if got.status == 304:
        outcome.result = {"unchanged": True, "answer": "304"}
        return outcome
    body = got.read()
    if got.file is not None:
        got.file.close()
    parsed = feedparser.parse(body)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        raise InvalidInput("{url} is not an RSS or Atom feed.", url=feed.url)
    entries = [(_entry_key(e), e) for e in parsed.entries[:max_entries]]
    with Session(engine) as session:
        known = feed_repo.known_entry_keys(
            session, feed_id=_id(feed), keys=[k for k, _ in entries if k]
        )
    new = [(k, e) for k, e in entries if k and k not in known]
    # The same article in two feeds (a site's RSS and its Atom) is queued once.
    with Session(engine) as session:
        queued_links = feed_repo.known_links(
            session, urls=[str(e.get("link")) for _, e in new if e.get("link")]
        )
    new = [(k, e) for k, e in new if not e.get("link") or str(e.get("link")) not in queued_links]
    queued = failed = 0
    # Oldest first, so the inbox's newest-first order follows the feed's.
    for key, entry in reversed(new):
        item = _read_entry(feed, key, entry, intake, catalogue.current, now)
        if item.error:
            failed += 1
        try:
            with Session(engine) as session:
                session.add(item)
                session.commit()
        except IntegrityError:
            continue  # another check queued it meanwhile
        queued += 1
    outcome.changed = bool(queued)
    outcome.result = {"entries": len(parsed.entries), "new": queued, "unread": failed}
    return outcome


def _read_entry(
    feed: Feed, key: str, entry: Any, intake: Intake, catalogue: Catalogue, now: datetime
) -> FeedItem:
    link = str(entry.get("link") or "") or None
    title = " ".join(str(entry.get("title") or link or "(untitled)").split())[:MAX_TITLE]
    published = _when(entry)
    item = FeedItem(
        feed_id=_id(feed), entry_key=key, title=title, url=link, published_at=published,
        created_at=now,
    )  # fmt: skip
    if link is None:
        item.error = "The entry has no link to read."
        return item
    try:
        result = intake.read_url(link)
    except DomainError as exc:
        item.error = exc.user_message
        return item
    except Exception:
        logger.exception("Reading %s from feed %s failed", link, feed.id)
        item.error = "The article could not be read."
        return item
    article = result.article
    item.text = article.text
    item.publisher = article.publisher
    if article.title and not entry.get("title"):
        item.title = article.title[:MAX_TITLE]
    if item.published_at is None and article.published is not None:
        item.published_at = datetime(
            article.published.year, article.published.month, article.published.day, tzinfo=UTC
        )
    item.found = found_summary(result, catalogue)
    item.figure_count = len(result.candidates)
    return item


def found_summary(result: IntakeResult, catalogue: Catalogue) -> dict[str, Any]:
    """What the inbox keeps of an intake result: each figure's names and numbers, the report."""
    figures = []
    for candidate in result.candidates:
        f = candidate.figure
        commodity = (
            catalogue.commodity_labels[f.commodity_id].en
            if f.commodity_id in catalogue.commodity_labels
            else f.commodity_words
        )
        place = (
            catalogue.market_labels[f.place_id].en
            if f.place_id in catalogue.market_labels
            else f.place_words
        )
        figures.append(
            {
                "commodity": commodity, "place": place, "low": f.low, "high": f.high,
                "currency": f.currency, "unit": f.unit, "quantity": f.quantity, "when": f.when,
                "qualifier": f.qualifier, "duplicate_of": candidate.duplicate_of,
            }
        )  # fmt: skip
    report = None
    if result.report is not None:
        r = result.report
        place_label = (
            catalogue.market_labels[r.place_id].en
            if r.place_id in catalogue.market_labels
            else r.place_words
        )
        report = {
            "place": place_label, "topics": list(r.topics), "direction": r.direction,
            "channel": r.channel, "border_status": r.border_status,
            "market_activity": r.market_activity, "enforcement": r.enforcement,
        }  # fmt: skip
    return {"figures": figures, "report": report}


def _entry_key(entry: Any) -> str:
    ident = str(entry.get("id") or entry.get("link") or entry.get("title") or "")
    return hashlib.sha256(ident.encode()).hexdigest() if ident else ""


def _when(entry: Any) -> datetime | None:
    for name in ("published_parsed", "updated_parsed"):
        parsed = entry.get(name)
        if parsed:
            try:
                y, mo, d, h, mi, sec = (int(v) for v in parsed[:6])
                return datetime(y, mo, d, h, mi, sec, tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None


def _id(feed: Feed) -> int:
    assert feed.id is not None
    return feed.id


class Inbox:
    """The editors' inbox: list, open (into the review), dismiss; the daily message."""

    def __init__(self, *, engine: Engine, clock: Clock, intake: Intake) -> None:
        self._engine = engine
        self._clock = clock
        self._intake = intake

    def pending(self, *, limit: int = 20, since: datetime | None = None) -> list[InboxEntry]:
        """Items waiting for an editor, newest first."""
        with Session(self._engine) as session:
            rows = feed_repo.pending_items(session, limit=limit, since=since)
        return [_entry(item, name) for item, name in rows]

    def count_pending(self) -> int:
        with Session(self._engine) as session:
            return feed_repo.count_pending(session)

    def item(self, item_id: int) -> InboxEntry:
        with Session(self._engine) as session:
            item = feed_repo.inbox_item(session, item_id=item_id)
            if item is None:
                raise NotFound("There is no inbox item {number}.", number=item_id)
            feed = feed_repo.feed_by_id(session, feed_id=item.feed_id)
            return _entry(item, feed.name if feed else "")

    def article(self, item_id: int) -> tuple[Article, int]:
        """The item's article as read when it was queued (fetched again if it was not read)."""
        with Session(self._engine) as session:
            item = feed_repo.inbox_item(session, item_id=item_id)
            if item is None:
                raise NotFound("There is no inbox item {number}.", number=item_id)
            if item.status != "pending":
                raise _decided(item_id, item.status)
            text, url = item.text, item.url
            title, publisher, published = item.title, item.publisher, item.published_at
        if not text:
            if not url:
                raise InvalidInput("Inbox item {number} has no article to read.", number=item_id)
            return self._intake.read_url(url).article, item_id
        return (
            Article(
                text=text, url=url, title=title, publisher=publisher,
                published=published.date() if published else None,
            ),
            item_id,
        )  # fmt: skip

    def dismiss(self, item_id: int, *, admin_id: int) -> InboxEntry:
        """Take an item out of the inbox without saving anything from it."""
        entry = self.item(item_id)
        with Session(self._engine) as session:
            done = feed_repo.set_item_status(
                session, item_id=item_id, status="dismissed", actor_id=admin_id,
                now=self._clock(),
            )  # fmt: skip
            session.commit()
        if not done:
            raise _decided(item_id, self.item(item_id).status)
        logger.info("Admin %s dismissed inbox item %s", admin_id, item_id)
        return entry

    # The daily message

    def set_daily(self, *, user_id: int, on: bool) -> None:
        with Session(self._engine) as session:
            session.exec(
                update(ChatUser).where(col(ChatUser.telegram_id) == user_id).values(inbox_daily=on)
            )
            session.commit()

    def wants_daily(self, user_id: int) -> bool:
        with Session(self._engine) as session:
            user = session.get(ChatUser, user_id)
            return bool(user and user.inbox_daily)

    def daily_due(self, *, editors: frozenset[int] | None = None) -> list[tuple[int, str | None]]:
        """Users (id, language) who asked for the daily message and have not had today's."""
        today = self._clock().date()
        with Session(self._engine) as session:
            users = feed_repo.inbox_subscribers(session)
        return [
            (u.telegram_id, u.language)
            for u in users
            if (u.inbox_sent_on is None or u.inbox_sent_on < today)
            and (editors is None or u.telegram_id in editors or u.role == "admin")
        ]

    def claim_daily(self, user_id: int, *, today: date) -> date | None:
        """Take today's message for a user (one UPDATE: one process sends it); return the day
        of the last one sent (items since then are new), or None when another took it."""
        with Session(self._engine) as session:
            user = session.get(ChatUser, user_id)
            if user is None:
                return None
            before = user.inbox_sent_on
            if before is not None and before >= today:
                return None  # today's is sent
            result = session.exec(
                update(ChatUser)
                .where(
                    col(ChatUser.telegram_id) == user_id,
                    col(ChatUser.inbox_sent_on).is_(None)
                    if before is None
                    else col(ChatUser.inbox_sent_on) == before,
                )
                .values(inbox_sent_on=today)
            )
            session.commit()
        if not result.rowcount:
            return None
        return before or date(1970, 1, 1)


def _decided(item_id: int, status: str) -> InvalidInput:
    if status == "saved":
        return InvalidInput("Inbox item {number} was saved already.", number=item_id)
    return InvalidInput("Inbox item {number} was dismissed already.", number=item_id)


def _entry(item: FeedItem, feed_name: str) -> InboxEntry:
    assert item.id is not None
    found = item.found or {}
    return InboxEntry(
        id=item.id,
        feed=feed_name,
        title=item.title,
        url=item.url,
        published=item.published_at,
        publisher=item.publisher,
        figures=list(found.get("figures") or []),
        report=found.get("report"),
        error=item.error,
        status=item.status,
        created_at=item.created_at,
    )

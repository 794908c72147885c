"""Source feeds: adding, listing, pausing and removing them, and checking the due ones.

A check claims its feed with one UPDATE (`db.repo.feeds.claim_feed`), so however many processes
look for due feeds, each feed is checked by one at a time; a claim whose process died (on this
host) or that is older than STALE_CLAIM is taken over. A failed check marks the feed with its
error and retries it later, each failure doubling the wait (bot.domain.feeds.retry_after), and
never stops the other feeds. The validators of a successful check (ETag, Last-Modified, the
file's hash, HAPI's last period) make the next check one conditional request.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select, update

from bot.domain.errors import DomainError, InvalidInput, NotFound
from bot.domain.feeds import FEED_KINDS, HAPI, RSS, WFP_HDX, parse_every, retry_after
from bot.services.catalogue import CatalogueStore
from bot.services.clock import Clock
from bot.services.fetching import FetchLimits
from bot.services.inbox import check_news
from bot.services.intake import Intake
from bot.services.price_feeds import Outcome, Progress, check_hapi, check_wfp
from bot.services.processes import dead_local_holders, make_holder
from bot.services.signals import Signal
from db.models import Feed, FeedItem
from db.repo import feeds as feed_repo

__all__ = ["CheckResult", "Feeds"]

logger = logging.getLogger(__name__)
STALE_CLAIM = timedelta(hours=2)
_QUERY = re.compile(r"\?[^\s]+")
DEFAULT_EVERY = {WFP_HDX: "1d", HAPI: "1d", RSS: "1h"}
MAX_URL = 1000
# How long feed checks, cached for answers ("WFP, checked 2 days ago"), are trusted.
CHECKS_TTL = 60.0


@dataclass(frozen=True)
class CheckResult:
    """One feed's check: `status` is changed, unchanged, error or skipped (another process
    holds it, or it is not due)."""

    feed_id: int
    name: str
    kind: str
    status: str
    result: dict[str, Any]
    error: str | None = None


class Feeds:
    """The feeds and their checks."""

    def __init__(
        self,
        *,
        engine: Engine,
        catalogue: CatalogueStore,
        clock: Clock,
        intake: Intake,
        limits: FetchLimits,
        article_limits: FetchLimits,
        max_entries: int = 20,
        hapi_app_identifier: str | None = None,
        hapi_page_size: int = 10_000,
        holder: str | None = None,
        wanted: Signal | None = None,
    ) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock
        self._intake = intake
        self._limits = limits
        self._article_limits = article_limits
        self._max_entries = max_entries
        self._hapi_app = hapi_app_identifier
        self._hapi_page = hapi_page_size
        self.holder = holder or make_holder()
        self._checks: tuple[float, dict[str, datetime]] | None = None
        self._checks_lock = threading.Lock()
        # Raised when an editor asks for a check now: the bot's feed job runs at once.
        self.wanted = wanted or Signal("feeds wanted")
        # Feeds an editor asked to check now, and the chat to tell the result.
        self._asked: dict[int, int] = {}

    # The registry

    def add(
        self,
        url: str,
        *,
        kind: str,
        every: str | None = None,
        name: str | None = None,
        created_by: int | None = None,
    ) -> Feed:
        """Add a feed, due at once; refuse an unknown kind, a bad link or schedule, a repeat."""
        kind = kind.strip().lower()
        if kind not in FEED_KINDS:
            raise InvalidInput(
                "“{kind}” is not a kind of feed. Kinds: {kinds}.",
                kind=kind,
                kinds=", ".join(FEED_KINDS),
            )
        link = _check_url(url)
        if kind == HAPI:
            link = _without_app_identifier(link)
        interval = parse_every(every or DEFAULT_EVERY[kind])
        label = " ".join((name or "").split())[:120] or _default_name(kind, link)
        now = self._clock()
        feed = Feed(
            kind=kind, url=link, name=label, every_seconds=int(interval.total_seconds()),
            next_due_at=now, created_by=created_by, created_at=now, updated_at=now,
        )  # fmt: skip
        with Session(self._engine) as session:
            exists = session.exec(
                select(Feed.id).where(col(Feed.kind) == kind, col(Feed.url) == link)
            ).first()
            if exists is not None:
                raise InvalidInput("That feed is there already: feed {number}.", number=exists)
            session.add(feed)
            session.commit()
            session.refresh(feed)
        # The link without its query, which may carry a private feed's key.
        logger.info("Feed %s added: %s %s", feed.id, kind, link.split("?", 1)[0])
        return feed

    def list_feeds(self) -> list[Feed]:
        with Session(self._engine) as session:
            return feed_repo.feeds(session)

    def get(self, feed_id: int) -> Feed:
        with Session(self._engine) as session:
            feed = feed_repo.feed_by_id(session, feed_id=feed_id)
        if feed is None:
            raise NotFound("There is no feed {number}. /feeds lists them.", number=feed_id)
        return feed

    def remove(self, feed_id: int) -> Feed:
        """Remove a feed and its inbox items still pending; what it imported stays."""
        feed = self.get(feed_id)
        with Session(self._engine) as session:
            session.exec(delete(FeedItem).where(col(FeedItem.feed_id) == feed_id))
            session.exec(delete(Feed).where(col(Feed.id) == feed_id))
            session.commit()
        logger.info("Feed %s removed", feed_id)
        return feed

    def pause(self, feed_id: int, *, paused: bool) -> Feed:
        feed = self.get(feed_id)
        now = self._clock()
        values: dict[str, Any] = {"paused": paused, "updated_at": now}
        if not paused:
            values["next_due_at"] = min(feed.next_due_at, now)
        with Session(self._engine) as session:
            session.exec(update(Feed).where(col(Feed.id) == feed_id).values(**values))
            session.commit()
        return self.get(feed_id)

    # Checks

    def request(self, feed_id: int, *, chat_id: int) -> Feed:
        """Make a feed due now and wake the feed job; the result goes to `chat_id` (a check can
        take longer than a chat waits for an answer)."""
        feed = self.get(feed_id)
        if feed.paused:
            raise InvalidInput(
                "Feed {number} is paused: resume it first (/feeds resume {number}).",
                number=feed_id,
            )
        now = self._clock()
        with Session(self._engine) as session:
            session.exec(
                update(Feed)
                .where(col(Feed.id) == feed_id)
                .values(next_due_at=min(feed.next_due_at, now), updated_at=now)
            )
            session.commit()
        with self._checks_lock:
            self._asked[feed_id] = chat_id
        self.wanted.raise_()
        return feed

    def asked(self) -> list[int]:
        """The feeds editors asked to check now, not checked yet."""
        with self._checks_lock:
            return list(self._asked)

    def asked_by(self, feed_id: int) -> int | None:
        """The chat that asked for this feed's check now (forgotten once told)."""
        with self._checks_lock:
            return self._asked.pop(feed_id, None)

    def due(self) -> list[int]:
        with Session(self._engine) as session:
            return feed_repo.due_feed_ids(session, now=self._clock())

    def run_due(
        self,
        *,
        every: bool = False,
        progress: Callable[[Feed], Progress | None] | None = None,
        started: Callable[[Feed], None] | None = None,
    ) -> list[CheckResult]:
        """Check each due feed (with `every`, every feed not paused), one after the other."""
        if every:
            ids = [f.id for f in self.list_feeds() if not f.paused and f.id is not None]
        else:
            ids = self.due()
        results = []
        for feed_id in ids:
            result = self.check(feed_id, force=every, progress=progress, started=started)
            if result is not None:
                results.append(result)
        return results

    def check(
        self,
        feed_id: int,
        *,
        force: bool = False,
        progress: Callable[[Feed], Progress | None] | None = None,
        started: Callable[[Feed], None] | None = None,
    ) -> CheckResult | None:
        """Check one feed now if this process can claim it (None when it cannot)."""
        now = self._clock()
        with Session(self._engine) as session:
            takeover = dead_local_holders(feed_repo.claimed_holders(session))
            claimed = feed_repo.claim_feed(
                session, feed_id=feed_id, holder=self.holder, now=now,
                stale_before=now - STALE_CLAIM, takeover=takeover, due_only=not force,
            )  # fmt: skip
            session.commit()
            feed = feed_repo.feed_by_id(session, feed_id=feed_id) if claimed else None
        if feed is None:
            return None
        if started is not None:
            started(feed)
        began = time.monotonic()
        outcome: Outcome | None = None
        error: str | None = None
        try:
            outcome = self._check(feed, progress(feed) if progress else None)
        except DomainError as exc:
            error = exc.user_message
        except (httpx.HTTPError, OSError) as exc:
            error = f"Could not fetch the feed: {type(exc).__name__}."
        except Exception:
            logger.exception("Checking feed %s failed", feed_id)
            error = "The check failed unexpectedly; it is retried later."
        finally:
            self._record(feed, outcome, error)
        took = time.monotonic() - began
        if error is not None:
            # Links' queries stay out of the log: a private feed's key may be in one.
            logged = _QUERY.sub("?…", error)
            logger.warning("Feed %s (%s) failed in %.1fs: %s", feed_id, feed.kind, took, logged)
            return CheckResult(feed_id, feed.name, feed.kind, "error", {}, error)
        assert outcome is not None
        status = "changed" if outcome.changed else "unchanged"
        logger.info(
            "Feed %s (%s) %s in %.1fs: %s", feed_id, feed.kind, status, took, outcome.result
        )
        return CheckResult(feed_id, feed.name, feed.kind, status, outcome.result)

    def _check(self, feed: Feed, progress: Progress | None) -> Outcome:
        now = self._clock()
        if feed.kind == WFP_HDX:
            return check_wfp(
                feed, engine=self._engine, catalogue=self._catalogue, limits=self._limits,
                now=now, progress=progress,
            )  # fmt: skip
        if feed.kind == HAPI:
            return check_hapi(
                feed, engine=self._engine, catalogue=self._catalogue, limits=self._limits,
                app_identifier=self._hapi_app, page_size=self._hapi_page, now=now,
                progress=progress,
            )  # fmt: skip
        if feed.kind == RSS:
            return check_news(
                feed, engine=self._engine, intake=self._intake, catalogue=self._catalogue,
                limits=self._article_limits, max_entries=self._max_entries, now=now,
            )  # fmt: skip
        raise InvalidInput("“{kind}” is not a kind of feed.", kind=feed.kind)

    def _record(self, feed: Feed, outcome: Outcome | None, error: str | None) -> None:
        """Store the check's outcome and let the feed go (even when this fails, the claim goes
        stale and another check takes it over)."""
        assert feed.id is not None
        now = self._clock()
        every = timedelta(seconds=feed.every_seconds)
        values: dict[str, Any] = {"last_checked_at": now, "updated_at": now}
        if outcome is None:
            failures = feed.failures + 1
            values.update(
                status="error",
                failures=failures,
                last_error=(error or "")[:2000],
                next_due_at=now + retry_after(failures, every),
            )
        else:
            # What the feed's figures cite is kept through checks that found nothing new.
            before = feed.last_result if isinstance(feed.last_result, dict) else {}
            kept = {"cites": before["cites"]} if "cites" in before else {}
            values.update(
                status="ok",
                failures=0,
                last_error=None,
                next_due_at=now + every,
                last_result={**kept, **outcome.result},
                etag=(outcome.etag or None) and outcome.etag[:200],
                last_modified=(outcome.last_modified or None) and outcome.last_modified[:100],
                content_sha256=outcome.content_sha256,
                resource_url=(outcome.resource_url or None) and outcome.resource_url[:1000],
                cursor=outcome.cursor,
            )
            if outcome.changed:
                values["last_changed_at"] = now
        try:
            with Session(self._engine) as session:
                feed_repo.release_feed(session, feed_id=feed.id, holder=self.holder, values=values)
                session.commit()
        except Exception:
            logger.exception("Could not record the check of feed %s", feed.id)
        with self._checks_lock:
            self._checks = None

    # For answers

    def checked(self) -> dict[str, datetime]:
        """{the link figures of a feed cite: when the feed was last checked}, cached briefly."""
        with self._checks_lock:
            cached = self._checks
        if cached is not None and time.monotonic() - cached[0] < CHECKS_TTL:
            return cached[1]
        with Session(self._engine) as session:
            found = feed_repo.feed_checks(session)
        with self._checks_lock:
            self._checks = (time.monotonic(), found)
        return found


def _check_url(url: str) -> str:
    link = url.strip()
    try:
        parsed = httpx.URL(link) if "://" in link else None
    except (httpx.InvalidURL, ValueError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidInput("“{url}” is not an http or https link.", url=link)
    if len(link) > MAX_URL:
        raise InvalidInput("The link is longer than {limit} characters.", limit=MAX_URL)
    return link


def _without_app_identifier(url: str) -> str:
    """A HAPI link as stored: the app identifier comes from the settings, never the link."""
    parsed = httpx.URL(url)
    if "app_identifier" not in parsed.params:
        return url
    return str(parsed.copy_remove_param("app_identifier"))


def _default_name(kind: str, url: str) -> str:
    from bot.domain.feeds import wfp_iso3

    host = httpx.URL(url).host
    if kind == WFP_HDX:
        iso3 = wfp_iso3(url)
        return f"WFP {iso3}" if iso3 else f"WFP ({host})"
    if kind == HAPI:
        code = httpx.URL(url).params.get("location_code")
        return f"HAPI {code.upper()}" if code else "HAPI"
    return host

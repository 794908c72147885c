"""Digests and alerts: what a filter set saw move, composed once per distinct filter set."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain.dates import PartialDate
from bot.domain.prices import (
    STALE_AFTER_DAYS,
    Figure,
    change_between,
)
from bot.domain.schedule import Schedule, catch_up, period_key, period_length
from bot.i18n import translator
from bot.rendering import digest
from bot.rendering import html as render
from bot.services import market_figures
from bot.services.catalogue import Catalogue
from db import repo
from db.models import UNDATED, Subscription

logger = logging.getLogger(__name__)

FOUR_WEEKS = timedelta(days=28)


@dataclass(frozen=True)
class Filters:
    """What a subscription watches: commodity ids and place ids (empty = everything)."""

    commodity_ids: tuple[int, ...] = ()
    market_ids: tuple[int, ...] = ()

    @property
    def key(self) -> str:
        """Canonical text of the filter set; equal filters share one composed digest."""
        goods = ",".join(str(i) for i in sorted(set(self.commodity_ids))) or "*"
        places = ",".join(str(i) for i in sorted(set(self.market_ids))) or "*"
        return f"c:{goods}|m:{places}"

    @classmethod
    def from_key(cls, key: str) -> Filters:
        """Read a key made by `key` back: "c:1,3|m:*" -> Filters((1, 3), ())."""
        goods, places = (part.split(":", 1)[1] for part in key.split("|"))
        return cls(
            tuple(int(i) for i in goods.split(",") if i != "*"),
            tuple(int(i) for i in places.split(",") if i != "*"),
        )

    @classmethod
    def of(cls, subscription: Subscription) -> Filters:
        return cls(tuple(subscription.commodity_ids or ()), tuple(subscription.market_ids or ()))


def schedule_of(subscription: Subscription) -> Schedule:
    return Schedule(
        cadence=subscription.cadence,
        weekday=subscription.weekday,
        hour=subscription.hour,
        timezone=subscription.timezone,
    )


def scope_label(catalogue: Catalogue, filters: Filters, lang: str) -> str:
    """Name what a filter set watches: "Rice, Corn · Hyesan" or "all commodities · all markets"."""
    _ = translator(lang).gettext
    goods = ", ".join(
        catalogue.commodity_labels[i].in_lang(lang)
        for i in filters.commodity_ids
        if i in catalogue.commodity_labels
    )
    places = ", ".join(
        catalogue.market_labels[i].in_lang(lang)
        for i in filters.market_ids
        if i in catalogue.market_labels
    )
    all_goods = _("all commodities")
    all_places = _("all markets")
    return f"{goods or all_goods} · {places or all_places}"


class Gatherer:
    """Reads what a digest needs for one filter set with a handful of windowed queries."""

    def __init__(self, session: Session, catalogue: Catalogue):
        self.session = session
        self.catalogue = catalogue

    def _places(self, filters: Filters) -> list[int] | None:
        """The watched places and every place inside them; None when every place is watched."""
        if not filters.market_ids:
            return None
        places: set[int] = set()
        for market_id in filters.market_ids:
            places.update(self.catalogue.descendants(market_id))
        return sorted(places)

    def series(
        self, filters: Filters, *, since: datetime, today: date, lang: str
    ) -> list[digest.SeriesDigest]:
        session = self.session
        goods = filters.commodity_ids or None
        places = self._places(filters)
        latest = repo.latest_per_series(session, commodity_ids=goods, market_ids=places)
        if not latest:
            return []
        before = repo.latest_per_series(
            session, commodity_ids=goods, market_ids=places, created_by=since
        )
        month_ago = repo.latest_per_series(
            session, commodity_ids=goods, market_ids=places, dated_by=today - FOUR_WEEKS
        )
        highs = repo.series_highs(session, commodity_ids=goods, market_ids=places, created_by=since)
        out = []
        for pair, row in latest.items():
            commodity_id, market_id = pair
            if (
                commodity_id not in self.catalogue.commodity_labels
                or market_id not in self.catalogue.market_labels
            ):
                continue
            figure = figure_of(row)
            is_new = row.created_at > since
            previous = before.get(pair)
            since_last = None
            if is_new and previous is not None and previous.id != row.id:
                since_last = change_between(figure_of(previous), figure)
            old = month_ago.get(pair)
            four_weeks = None
            if old is not None and old.id != row.id and row.sort_on > old.sort_on:
                four_weeks = change_between(figure_of(old), figure)
            high_before = highs.get((commodity_id, market_id, row.currency, row.unit))
            record = is_new and high_before is not None and row.price_high > high_before
            age = (today - row.sort_on).days if row.sort_on > UNDATED else None
            stale = age is None or age > STALE_AFTER_DAYS
            # A back-filled old figure is not news: it belongs with the stale series.
            is_new = is_new and not stale
            out.append(
                series_digest(
                    row,
                    self.catalogue,
                    lang,
                    since_last=since_last,
                    four_weeks=four_weeks,
                    record_high=record,
                    stale=stale,
                    is_new=is_new,
                    sources=self._sources(row) if is_new else 1,
                )
            )
        return out

    def _sources(self, row: repo.SeriesFigure) -> int:
        """Count the sources with a figure for the row's good, place and period."""
        near = market_figures.period_figures(self.session, row)
        return len({row.source_name.casefold()} | {r.source_name.casefold() for r in near})

    def reports(self, filters: Filters, *, since: datetime, lang: str) -> list[digest.ReportDigest]:
        places = self._places(filters)
        # Reports are about places: the goods filter only applies when every place is watched.
        goods = None
        if places is None and filters.commodity_ids:
            goods = filters.commodity_ids
        out = []
        for report in repo.new_trade_reports(
            self.session, since=since, market_ids=places, commodity_ids=goods
        ):
            label = self.catalogue.market_labels.get(report.market_id)
            out.append(
                digest.ReportDigest(
                    place=label.in_lang(lang) if label else "?",
                    observed=PartialDate(report.observed_on, report.observed_precision),
                    summary=report.summary,
                    source_name=report.source_name,
                    source_url=report.source_url,
                )
            )
        return out


def series_digest(
    row: repo.SeriesFigure, catalogue: Catalogue, lang: str, **flags: Any
) -> digest.SeriesDigest:
    """A series line for digests and alerts: the row's figure, names, date and source, plus the
    moves and flags the caller worked out."""
    return digest.SeriesDigest(
        commodity=catalogue.commodity_labels[row.commodity_id].in_lang(lang),
        market=catalogue.market_labels[row.market_id].in_lang(lang),
        latest=figure_of(row),
        observed=PartialDate(row.observed_on, row.observed_precision),
        source_name=row.source_name,
        source_url=row.source_url,
        reliability=row.reliability,
        via=row.via,
        via_url=row.via_url,
        **flags,
    )


def figure_of(row: repo.SeriesFigure) -> Figure:
    return Figure(low=row.price_low, high=row.price_high, currency=row.currency, unit=row.unit)


def period_label(cadence: str, now: datetime, lang: str) -> str:
    """Name the period a digest covers: "week to 28 Nov 2026" / "day to 28 Nov 2026"."""
    t = translator(lang)
    day = PartialDate(now.date(), "day").label(t)
    if cadence == "daily":
        return t.gettext("day to {date}").format(date=day)
    return t.gettext("week to {date}").format(date=day)


def compose(
    session: Session,
    catalogue: Catalogue,
    filters: Filters,
    *,
    cadence: str,
    lang: str,
    now: datetime,
    since: datetime | None = None,
) -> list[str]:
    """Compose one digest for a filter set as of `now` (parts ready to send)."""
    since = since or now - period_length(cadence)
    gatherer = Gatherer(session, catalogue)
    data = digest.DigestInput(
        scope=render.esc(scope_label(catalogue, filters, lang)),
        period_label=period_label(cadence, now, lang),
        series=tuple(gatherer.series(filters, since=since, today=now.date(), lang=lang)),
        reports=tuple(gatherer.reports(filters, since=since, lang=lang)),
        today=now.date(),
    )
    return digest.compose_digest(data, translator(lang))


def body_key(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


@dataclass
class EnqueueResult:
    subscriptions: int = 0
    deliveries: int = 0
    composed: int = 0


def enqueue_due(
    engine: Engine,
    catalogue: Catalogue,
    *,
    now: datetime,
    batch: int = 5000,
    cache: dict[tuple[str, str, str], int] | None = None,
) -> EnqueueResult:
    """Put every digest due by `now` into the ledger, composing once per distinct filter set.

    Each batch is one transaction: ledger rows and the subscriptions' next due times are written
    together, so a crash leaves either both or neither. A subscription that missed several
    periods while the bot was down gets one digest, for the latest period. Rows are read and
    written with Core statements (one UPDATE per distinct next due time, one multi-row INSERT),
    so 100 subscribers sharing a filter set cost little more than one.
    """
    result = EnqueueResult()
    cache = {} if cache is None else cache
    # (cadence, weekday, hour, zone) -> (latest due <= now, next due > now, period key)
    plans: dict[tuple[str, int, int, str], tuple[datetime, datetime, str]] = {}
    while True:
        with Session(engine) as session:
            # Queued rows move their next due time past `now`, so each batch reads new ones.
            due = repo.due_subscription_rows(session, now=now, limit=batch)
            if not due:
                break
            rows: list[repo.NewDelivery] = []
            moves: dict[datetime, list[int]] = {}
            for sub in due:
                group = (sub.filter_key, sub.cadence, sub.language)
                body_id = cache.get(group)
                if body_id is None:
                    parts = compose(
                        session,
                        catalogue,
                        Filters.from_key(sub.filter_key),
                        cadence=sub.cadence,
                        lang=sub.language,
                        now=now,
                    )
                    key = body_key("digest", *group, now.strftime("%Y-%m-%dT%H"))
                    body_id = repo.save_body(session, key=key, parts=parts, now=now)
                    cache[group] = body_id
                    result.composed += 1
                schedule_key = (sub.cadence, sub.weekday, sub.hour, sub.timezone)
                plan = plans.get(schedule_key)
                if plan is None:
                    schedule = Schedule(
                        cadence=sub.cadence,
                        weekday=sub.weekday,
                        hour=sub.hour,
                        timezone=sub.timezone,
                    )
                    latest, following = catch_up(schedule, min(sub.next_due_at, now), now)
                    plan = plans[schedule_key] = (latest, following, period_key(schedule, latest))
                latest, following, period = plan
                rows.append(
                    {
                        "subscription_id": sub.id,
                        "period_key": period,
                        "kind": "digest",
                        "body_id": body_id,
                        "due_at": latest,
                    }
                )
                moves.setdefault(following, []).append(sub.id)
            repo.set_next_due_times(session, moves=moves)
            result.deliveries += repo.queue_deliveries(session, rows=rows, now=now)
            result.subscriptions += len(due)
            session.commit()
    return result


def preview(
    engine: Engine, catalogue: Catalogue, subscription: Subscription, *, now: datetime
) -> list[str]:
    """The digest a subscription would get now; nothing is recorded."""
    since = subscription.last_digest_at or now - period_length(subscription.cadence)
    with Session(engine) as session:
        return compose(
            session,
            catalogue,
            Filters.of(subscription),
            cadence=subscription.cadence,
            lang=subscription.language,
            now=now,
            since=since,
        )

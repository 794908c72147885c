"""The use case behind every new trade-condition report: queue its condition alerts.

A new report alerts when it changes its place's border status (it differs from the status of the
place's newest earlier report that states one, or it is the first to state one), or when it
reports enforcement (the topic, or an enforcement text: a crackdown, a lockdown, executions).

It goes at once to every active subscription with condition alerts on that watches the place
(its place filter holds the place or a place containing it, or it has no place filter; a goods
filter does not narrow condition alerts). A subscription gets at most one condition alert per
place per day, the day of its own time zone: the ledger row's period is "cond:<place>:<day>",
so a second alert that day collides with the first and is not queued. Such a report still
reaches the subscriber in the next digest's trade-conditions section.

Alerts go through the delivery ledger (kind "cond") like price alerts, so the sender's pacing,
retries and blocked-chat handling apply. Each report is weighed once (`ConditionCheck`):
reporting the same ids again queues nothing.

A dated report observed more than STALE_AFTER_DAYS ago (a file of past reports) is not news: it
alerts nobody, and stays for /conditions and the digests. Undated reports are weighed as new.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain.dates import PartialDate
from bot.domain.prices import STALE_AFTER_DAYS
from bot.i18n import translator
from bot.rendering.condition_alert import ConditionChange, compose_condition_alert
from bot.services.browse import report_view
from bot.services.catalogue import Catalogue, CatalogueStore
from bot.services.clock import Clock
from bot.services.digests import body_key
from bot.services.signals import Signal
from db import repo
from db.models import Subscription, TradeReport
from db.repo.digests import previous_border_status, reports_by_id
from db.repo.subscriptions import (
    claim_condition_check,
    condition_checked,
    condition_subscribers,
)

logger = logging.getLogger(__name__)

KIND = "cond"  # the ledger's kind column holds eight characters


def condition_change(report: TradeReport, previous_border: str | None) -> ConditionChange:
    """Why a report alerts (ConditionChange.alerts is False when it does not)."""
    border = report.border_status or None
    changed = border is not None and border != previous_border
    enforcement = "enforcement" in (report.topics or ()) or bool((report.enforcement or "").strip())
    return ConditionChange(
        border_to=border if changed else None,
        border_from=previous_border if changed else None,
        enforcement=enforcement,
    )


def is_old(report: TradeReport, today: date) -> bool:
    """A dated report whose period ended more than STALE_AFTER_DAYS before `today`."""
    age = PartialDate(report.observed_on, report.observed_precision).age_days(today)
    return age is not None and age > STALE_AFTER_DAYS


def local_day(subscription: Subscription, now: datetime) -> date:
    """The day it is for the subscriber: in the subscription's time zone (UTC if unknown)."""
    try:
        zone = ZoneInfo(subscription.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return now.date()
    return now.astimezone(zone).date()


def period_key(market_id: int, day: date) -> str:
    """The ledger period of a place's condition alert on a day: one per subscription."""
    return f"cond:{market_id}:{day.isoformat()}"


def check_condition_alerts(
    engine: Engine, catalogue: Catalogue, report_ids: Sequence[int], *, now: datetime
) -> int:
    """Queue condition alerts for new reports; return the number of deliveries queued.

    One transaction: the reports' checks and the ledger rows are written together. Reports are
    weighed newest first, so when several reports of a place arrive together the newest one
    takes the day's alert.
    """
    queued = 0
    with Session(engine) as session:
        ids = sorted(set(report_ids))
        done = condition_checked(session, report_ids=ids)
        fresh = [i for i in ids if i not in done]
        reports = reports_by_id(session, report_ids=fresh)
        reports.sort(key=lambda r: (r.sort_on, r.id or 0), reverse=True)
        watchers: dict[int, list[Subscription]] = {}  # place -> subscriptions watching it
        for report in reports:
            assert report.id is not None  # a stored report has its id
            check = claim_condition_check(session, report_id=report.id, now=now)
            if check is None or report.deleted_at is not None:
                continue
            if report.market_id not in catalogue.market_labels or is_old(report, now.date()):
                continue
            previous = previous_border_status(session, report=report)
            change = condition_change(report, previous)
            if not change.alerts:
                continue
            check.alerted = True
            subscribers = watchers.get(report.market_id)
            if subscribers is None:
                places = [report.market_id, *catalogue.ancestors(report.market_id)]
                subscribers = condition_subscribers(session, market_ids=places)
                watchers[report.market_id] = subscribers
            goods: list[int] | None = None
            bodies: dict[str, int] = {}
            deliveries: list[repo.NewDelivery] = []
            for subscription in subscribers:
                assert subscription.id is not None  # a stored subscription has its id
                lang = subscription.language
                if lang not in bodies:
                    if goods is None:
                        goods = repo.report_goods(session, report_ids=[report.id]).get(
                            report.id, []
                        )
                    view = report_view(report, goods, catalogue, lang)
                    text = compose_condition_alert(view, change, translator(lang))
                    bodies[lang] = repo.save_body(
                        session, key=body_key(KIND, report.id, lang), parts=[text], now=now
                    )
                deliveries.append(
                    {
                        "subscription_id": subscription.id,
                        "period_key": period_key(report.market_id, local_day(subscription, now)),
                        "kind": KIND,
                        "body_id": bodies[lang],
                        "due_at": now,
                    }
                )
            check.queued = repo.queue_deliveries(session, rows=deliveries, now=now)
            session.add(check)
            queued += check.queued
        session.commit()
    if queued:
        logger.info("Queued %d condition alerts", queued)
    return queued


class ConditionAlerts:
    """Queues condition alerts for new reports and raises `queued` when any were queued."""

    def __init__(
        self, *, engine: Engine, catalogue: CatalogueStore, clock: Clock, queued: Signal
    ) -> None:
        self._engine = engine
        self._catalogue = catalogue
        self._clock = clock
        self._queued = queued

    def reports_added(self, report_ids: Sequence[int]) -> int:
        """Queue alerts for reports that change a border status or report enforcement; return
        how many were queued (reports already weighed queue nothing)."""
        count = check_condition_alerts(
            self._engine, self._catalogue.current, list(report_ids), now=self._clock()
        )
        if count:
            self._queued.raise_()
        return count

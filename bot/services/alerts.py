"""Price alerts: a new figure that moves its series to severe or a record high, sent at once to
the subscribers of that series who asked for alerts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain.prices import STALE_AFTER_DAYS, change_between
from bot.i18n import translator
from bot.rendering import digest
from bot.services.catalogue import Catalogue
from bot.services.digests import body_key, figure_of, series_digest
from db import repo
from db.models import PriceObservation

logger = logging.getLogger(__name__)


def check_alerts(
    engine: Engine, catalogue: Catalogue, observation_ids: Sequence[int], *, now: datetime
) -> int:
    """Queue alerts for new figures that escalate their series to severe or a record high.

    Returns the number of alert deliveries queued. The series' alert class is stored, so a
    second severe figure in a row does not alert again; a calmer figure lowers the class.
    """
    queued = 0
    with Session(engine) as session:
        for observation_id in observation_ids:
            row = session.get(PriceObservation, observation_id)
            if row is None or row.deleted_at is not None:
                continue
            latest = repo.latest_price(
                session, commodity_id=row.commodity_id, market_id=row.market_id
            )
            if latest is None or latest.id != row.id:
                continue  # a back-filled old figure is not news
            if row.observed_on is None or (now.date() - row.observed_on).days > STALE_AFTER_DAYS:
                continue  # an undated or stale figure is never the basis of an alert
            # Judged against the other figures of its series (same place, good, currency, unit).
            previous = repo.previous_in_series(session, observation=row)
            high_before = repo.other_high_in_series(session, observation=row)
            figure = figure_of(row)
            change = change_between(figure_of(previous), figure) if previous is not None else None
            record = high_before is not None and row.price_high > high_before
            level = digest.alert_level(change, record)
            state = repo.alert_state(
                session, commodity_id=row.commodity_id, market_id=row.market_id
            )
            escalated = digest.escalates(state.level if state else None, level)
            repo.set_alert_state(
                session,
                commodity_id=row.commodity_id,
                market_id=row.market_id,
                level=level,
                observation_id=row.id,
                now=now,
            )
            if not escalated:
                continue
            places = [row.market_id, *catalogue.ancestors(row.market_id)]
            subscribers = repo.alert_subscribers(
                session, commodity_id=row.commodity_id, market_ids=places
            )
            bodies: dict[str, int] = {}
            deliveries: list[repo.NewDelivery] = []
            for subscription in subscribers:
                assert subscription.id is not None  # a stored subscription has its id
                lang = subscription.language
                if lang not in bodies:
                    series = series_digest(
                        row,
                        catalogue,
                        lang,
                        since_last=change,
                        four_weeks=None,
                        record_high=record,
                        stale=False,
                        is_new=True,
                    )
                    text = digest.compose_alert(series, level, change, translator(lang))
                    bodies[lang] = repo.save_body(
                        session, key=body_key("alert", row.id, level, lang), parts=[text], now=now
                    )
                deliveries.append(
                    {
                        "subscription_id": subscription.id,
                        "period_key": f"alert:{row.id}",
                        "kind": "alert",
                        "body_id": bodies[lang],
                        "due_at": now,
                    }
                )
            queued += repo.queue_deliveries(session, rows=deliveries, now=now)
        session.commit()
    if queued:
        logger.info("Queued %d price alerts", queued)
    return queued

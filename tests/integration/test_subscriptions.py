"""Subscriptions, the delivery ledger, leases, digest composition and alerts, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.domain.schedule import Schedule, next_due
from bot.services import alerts, digests
from db import repo
from db.models import DigestBody, DigestDelivery, Subscription
from tests.support.clock import NOW
from tests.support.factories import add_price


def _subscribe(
    engine,
    chat_id: int,
    *,
    goods=(),
    places=(),
    due: datetime | None = NOW - timedelta(minutes=1),
    timezone="Asia/Seoul",
    weekday=0,
    hour=9,
    cadence="weekly",
    alerts=False,
    language="en",
) -> int:
    filters = digests.Filters(tuple(goods), tuple(places))
    with Session(engine) as session:
        sub, _ = repo.add_subscription(
            session,
            values={
                "chat_id": chat_id,
                "chat_type": "private",
                "commodity_ids": list(goods),
                "market_ids": list(places),
                "filter_key": filters.key,
                "cadence": cadence,
                "weekday": weekday,
                "hour": hour,
                "timezone": timezone,
                "language": language,
                "alerts": alerts,
                "next_due_at": due,
            },
            now=NOW,
        )
        session.commit()
        assert sub.id is not None
        return sub.id


def _deliveries(engine) -> list[DigestDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(DigestDelivery).order_by(DigestDelivery.id)))


def test_due_digests_enter_the_ledger_once_composed_once_per_filter_set(engine, catalogue):
    rice, corn = catalogue.commodity_slugs["rice"], catalogue.commodity_slugs["corn"]
    hyesan = catalogue.market_slugs["hyesan"]
    for chat in range(1, 7):
        _subscribe(engine, chat, goods=(rice,), places=(hyesan,))
    for chat in range(7, 10):
        _subscribe(engine, chat, goods=(corn,))
    _subscribe(engine, 10, due=NOW + timedelta(hours=2))  # not due yet

    result = digests.enqueue_due(engine, catalogue, now=NOW)
    assert (result.subscriptions, result.deliveries, result.composed) == (9, 9, 2)
    rows = _deliveries(engine)
    assert len(rows) == 9 and {r.status for r in rows} == {"pending"}
    assert len({r.body_id for r in rows}) == 2
    # Queuing again at the same instant adds nothing: next due times moved a week on.
    again = digests.enqueue_due(engine, catalogue, now=NOW)
    assert again.deliveries == 0 and len(_deliveries(engine)) == 9
    with Session(engine) as session:
        subs = session.exec(select(Subscription).where(Subscription.chat_id < 10)).all()
        assert all(s.next_due_at > NOW for s in subs)
        assert all(s.next_due_at - NOW <= timedelta(days=7) for s in subs)


def test_the_ledger_refuses_a_second_row_for_the_same_period(engine, catalogue):
    sub = _subscribe(engine, 1)
    digests.enqueue_due(engine, catalogue, now=NOW)
    (row,) = _deliveries(engine)
    with Session(engine) as session:
        added = repo.queue_deliveries(
            session,
            rows=[
                {
                    "subscription_id": sub,
                    "period_key": row.period_key,
                    "kind": "digest",
                    "body_id": row.body_id,
                    "due_at": NOW,
                }
            ],
            now=NOW,
        )
        session.commit()
    assert added == 0 and len(_deliveries(engine)) == 1


def test_a_digest_missed_while_down_goes_out_once_for_the_latest_period(engine, catalogue):
    schedule = Schedule(cadence="weekly", weekday=0, hour=9, timezone="Europe/Berlin")
    three_weeks_ago = next_due(schedule, NOW - timedelta(days=22))
    _subscribe(engine, 1, due=three_weeks_ago, timezone="Europe/Berlin")
    digests.enqueue_due(engine, catalogue, now=NOW)
    (row,) = _deliveries(engine)
    local = row.due_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.weekday(), local.hour) == (0, 9)
    assert NOW - timedelta(days=7) < row.due_at <= NOW
    with Session(engine) as session:
        sub = session.exec(select(Subscription)).one()
        assert sub.next_due_at > NOW


@pytest.mark.parametrize(
    ("zone", "weeks"),
    [
        ("Europe/Berlin", (datetime(2026, 3, 16, tzinfo=UTC), datetime(2026, 10, 12, tzinfo=UTC))),
        (
            "America/New_York",
            (datetime(2026, 2, 23, tzinfo=UTC), datetime(2026, 10, 19, tzinfo=UTC)),
        ),
    ],
)
def test_exactly_one_digest_a_week_at_the_local_hour_across_daylight_saving(
    engine, catalogue, zone, weeks
):
    tz = ZoneInfo(zone)
    sub_ids = {}
    for start in weeks:
        schedule = Schedule(cadence="weekly", weekday=6, hour=2, timezone=zone)  # Sunday 02:00
        hour9 = Schedule(cadence="weekly", weekday=0, hour=9, timezone=zone)
        sub_ids[start] = (
            _subscribe(
                engine,
                int(start.timestamp()),
                due=next_due(schedule, start),
                timezone=zone,
                weekday=6,
                hour=2,
            ),
            _subscribe(
                engine,
                int(start.timestamp()) + 1,
                due=next_due(hour9, start),
                timezone=zone,
                weekday=0,
                hour=9,
            ),
        )
    # The scheduler ticks every 20 minutes for four weeks around each change.
    for start in weeks:
        clock = start
        while clock < start + timedelta(days=28):
            digests.enqueue_due(engine, catalogue, now=clock)
            clock += timedelta(minutes=20)
    rows = _deliveries(engine)
    for start, (sunday2, monday9) in sub_ids.items():
        for sub_id, (weekday, hour) in ((sunday2, (6, 2)), (monday9, (0, 9))):
            mine = [
                r
                for r in rows
                if r.subscription_id == sub_id and start <= r.due_at < start + timedelta(days=28)
            ]
            weeks_seen = [r.due_at.astimezone(tz).isocalendar()[:2] for r in mine]
            assert len(mine) == 4 and len(set(weeks_seen)) == 4, (zone, sub_id, weeks_seen)
            for r in mine:
                local = r.due_at.astimezone(tz)
                assert local.weekday() == weekday
                # 02:00 does not exist on the spring-forward Sunday: that digest comes at 03:00.
                assert local.hour == hour or (hour == 2 and local.hour == 3)
    # The clocks did change inside the simulated weeks.
    offsets = {r.due_at.astimezone(tz).utcoffset() for r in rows}
    assert len(offsets) == 2


def test_claims_mark_rows_sending_and_orphans_return_to_the_queue(engine, catalogue):
    for chat in range(1, 6):
        _subscribe(engine, chat)
    digests.enqueue_due(engine, catalogue, now=NOW)
    with Session(engine) as session:
        first = repo.claim_deliveries(session, holder="a", now=NOW, limit=3)
        session.commit()
    with Session(engine) as session:
        second = repo.claim_deliveries(session, holder="b", now=NOW, limit=10)
        session.commit()
    assert len(first) == 3 and len(second) == 2
    assert not {c.id for c in first} & {c.id for c in second}
    assert all(c.parts and c.chat_id > 0 for c in first)
    # Holder "a" died: only its rows go back.
    with Session(engine) as session:
        released = repo.release_orphans(session, live=["b"], now=NOW)
        session.commit()
    assert released == 3
    statuses = sorted(r.status for r in _deliveries(engine))
    assert statuses == ["pending"] * 3 + ["sending"] * 2


def test_postgres_workers_claim_disjoint_rows_concurrently(engine, catalogue):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are a PostgreSQL feature; SQLite uses a lease")
    for chat in range(1, 21):
        _subscribe(engine, chat)
    digests.enqueue_due(engine, catalogue, now=NOW)
    # Two open transactions: the second skips what the first has locked.
    one, two = Session(engine), Session(engine)
    try:
        a = repo.claim_deliveries(one, holder="a", now=NOW, limit=15)
        b = repo.claim_deliveries(two, holder="b", now=NOW, limit=15)
        one.commit()
        two.commit()
    finally:
        one.close()
        two.close()
    assert len(a) == 15 and len(b) == 5
    assert not {c.id for c in a} & {c.id for c in b}


def test_one_lease_holder_at_a_time_and_takeover_when_expired_or_dead(engine):
    with Session(engine) as session:
        assert repo.acquire_lease(session, name="sender", holder="a", now=NOW, ttl=30)
        session.commit()
    with Session(engine) as session:
        assert not repo.acquire_lease(session, name="sender", holder="b", now=NOW, ttl=30)
        # Renewal by the holder works.
        assert repo.acquire_lease(session, name="sender", holder="a", now=NOW, ttl=30)
        session.commit()
    later = NOW + timedelta(seconds=31)
    with Session(engine) as session:
        assert repo.acquire_lease(session, name="sender", holder="b", now=later, ttl=30)
        session.commit()
    with Session(engine) as session:
        assert not repo.acquire_lease(session, name="sender", holder="c", now=later, ttl=30)
        assert repo.acquire_lease(
            session, name="sender", holder="c", now=later, ttl=30, takeover=["b"]
        )
        session.commit()
        assert repo.lease_holder(session, name="sender").holder == "c"


def test_dead_local_holders_are_recognised():
    import os
    import socket
    import subprocess
    import sys

    from bot.services.processes import dead_local_holders

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    host = socket.gethostname()[:40]
    dead = f"{host}:{proc.pid}:abc"
    alive = f"{host}:{os.getppid()}:def"
    other_host = f"elsewhere:{proc.pid}:abc"
    assert dead_local_holders([dead, alive, other_host]) == [dead]


def test_a_quiet_week_is_one_line_and_a_moved_series_is_reported(engine, catalogue):
    rice, hyesan = catalogue.commodity_slugs["rice"], catalogue.market_slugs["hyesan"]
    filters = digests.Filters((rice,), (hyesan,))
    week_ago = NOW - timedelta(days=7)
    add_price(engine, catalogue, now=week_ago - timedelta(days=30), date="2026-10-01", price="8000")
    with Session(engine) as session:
        quiet = digests.compose(session, catalogue, filters, cadence="weekly", lang="en", now=NOW)
    assert len(quiet) == 1 and "\n" not in quiet[0] and "nothing new" in quiet[0].lower()

    add_price(engine, catalogue, now=NOW - timedelta(days=1), date="2026-11-26", price="10400")
    with Session(engine) as session:
        parts = digests.compose(session, catalogue, filters, cadence="weekly", lang="en", now=NOW)
    text = "\n".join(parts)
    assert "10,400" in text and "+30%" in text and "severe" in text.lower()
    assert "record" in text.lower()


def test_alerts_fire_when_the_class_escalates_only(engine, catalogue):
    rice, hyesan = catalogue.commodity_slugs["rice"], catalogue.market_slugs["hyesan"]
    _subscribe(engine, 1, goods=(rice,), alerts=True, due=NOW + timedelta(days=3))
    _subscribe(engine, 2, goods=(rice,), alerts=False, due=NOW + timedelta(days=3))
    _subscribe(engine, 3, places=(hyesan,), alerts=True, due=NOW + timedelta(days=3))
    _subscribe(
        engine,
        4,
        goods=(catalogue.commodity_slugs["corn"],),
        alerts=True,
        due=NOW + timedelta(days=3),
    )
    base = add_price(engine, catalogue, now=NOW, date="2026-10-01", price="8000")
    assert alerts.check_alerts(engine, catalogue, [base.id], now=NOW) == 0
    jump = add_price(engine, catalogue, now=NOW, date="2026-11-01", price="11000")
    # Severe and a record high: chats 1 and 3 (alerts on, watching rice or Hyesan) get it.
    assert alerts.check_alerts(engine, catalogue, [jump.id], now=NOW) == 2
    queued = [r for r in _deliveries(engine) if r.kind == "alert"]
    assert {r.period_key for r in queued} == {f"alert:{jump.id}"}
    with Session(engine) as session:
        body = session.get(DigestBody, queued[0].body_id)
        assert "11,000" in body.parts[0] and len(body.parts[0]) <= 1024
    # Still severe and a record again: no escalation, no new alert.
    again = add_price(engine, catalogue, now=NOW, date="2026-11-10", price="15000")
    assert alerts.check_alerts(engine, catalogue, [again.id], now=NOW) == 0
    # Back to normal, then severe again: a new alert.
    calm = add_price(engine, catalogue, now=NOW, date="2026-11-15", price="14800")
    assert alerts.check_alerts(engine, catalogue, [calm.id], now=NOW) == 0
    drop = add_price(engine, catalogue, now=NOW, date="2026-11-20", price="9000")
    assert alerts.check_alerts(engine, catalogue, [drop.id], now=NOW) == 2


def test_stats_count_subscribers_and_deliveries_by_status(engine, catalogue):
    for chat in range(1, 4):
        _subscribe(engine, chat)
    digests.enqueue_due(engine, catalogue, now=NOW)
    rows = _deliveries(engine)
    with Session(engine) as session:
        repo.finish_delivery(session, delivery_id=rows[0].id, status="sent", now=NOW)
        repo.finish_delivery(session, delivery_id=rows[1].id, status="blocked", now=NOW, error="x")
        repo.deactivate_chat(session, chat_id=2, reason="blocked", now=NOW)
        session.commit()
        counts = repo.subscriber_counts(session)
        by_status = repo.delivery_stats(session, since=NOW - timedelta(days=7))
    assert counts["active_subscriptions"] == 2 and counts["stopped_subscriptions"] == 1
    assert by_status["digest"] == {"sent": 1, "blocked": 1, "pending": 1}
    with Session(engine) as session:
        sent = session.get(Subscription, rows[0].subscription_id)
        assert sent.last_digest_at is not None
        # Reactivation restarts what delivery stopped, not a user's own unsubscribe.
        repo.unsubscribe(session, chat_id=3, ids=None, now=NOW)
        assert len(repo.reactivate_chat(session, chat_id=2, now=NOW)) == 1
        assert repo.reactivate_chat(session, chat_id=3, now=NOW) == []
        session.commit()


async def test_two_senders_one_lease_on_sqlite_both_work_on_postgres(engine, settings):
    from bot.delivery.sender import Sender

    def make() -> Sender:
        return Sender(None, engine, settings, catalogue=lambda: None, now=lambda: NOW)  # type: ignore[arg-type]

    first, second = make(), make()
    leaders = [await first.ensure_lease(), await second.ensure_lease()]
    if engine.dialect.name == "sqlite":
        assert leaders == [True, False]
        # The holder stops (releases): the other takes over at its next check.
        first.release()
        assert await second.ensure_lease()
    else:
        # Every PostgreSQL worker sends; the budget is split between the live ones.
        assert leaders == [True, True]
        assert await first.ensure_lease() and first._renew_lease()
        assert first.pacer.budget == settings.send_budget / 2


def test_queueing_counts_only_the_rows_it_added(engine, catalogue):
    ids = [_subscribe(engine, chat) for chat in range(1, 6)]
    with Session(engine) as session:
        body = repo.save_body(session, key="k", parts=["x"], now=NOW)
        rows = [
            {
                "subscription_id": i,
                "period_key": "2026-W48",
                "kind": "digest",
                "body_id": body,
                "due_at": NOW,
            }
            for i in ids
        ]
        assert repo.queue_deliveries(session, rows=rows[:3], now=NOW) == 3
        assert repo.queue_deliveries(session, rows=rows, now=NOW) == 2
        session.commit()
    stored = _deliveries(engine)
    assert len(stored) == 5 and {d.status for d in stored} == {"pending"}
    assert all(d.due_at == NOW and d.message_ids == [] and d.created_at == NOW for d in stored)

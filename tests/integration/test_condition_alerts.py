"""Condition alerts: a report that changes a place's border status or reports enforcement goes at
once to the subscribers of that place who opted in, at most once a place a day, on both
databases."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from bot.rendering.html import MAX_TEXT
from bot.services import condition_alerts, digests
from bot.services.subscriptions import condition_words
from db import repo
from db.models import UNDATED, ConditionCheck, DigestBody, DigestDelivery, Subscription, TradeReport
from emulator.html import parse_html
from tests.support.clock import NOW
from tests.support.services import make_services

LATER = NOW + timedelta(days=3)  # digests are not due during a test unless it says so


def _subscribe(
    engine,
    chat_id: int,
    *,
    places: tuple[str, ...] = (),
    goods: tuple[str, ...] = (),
    conditions: bool = True,
    catalogue,
    timezone: str = "Asia/Seoul",
    language: str = "en",
    due: datetime = LATER,
) -> int:
    place_ids = tuple(catalogue.market_slugs[p] for p in places)
    good_ids = tuple(catalogue.commodity_slugs[g] for g in goods)
    filters = digests.Filters(good_ids, place_ids)
    with Session(engine) as session:
        sub, _ = repo.add_subscription(
            session,
            values={
                "chat_id": chat_id,
                "chat_type": "private",
                "commodity_ids": list(good_ids),
                "market_ids": list(place_ids),
                "filter_key": filters.key,
                "cadence": "weekly",
                "weekday": 0,
                "hour": 9,
                "timezone": timezone,
                "language": language,
                "alerts": True,  # price alerts on: they must not stand in for condition alerts
                "condition_alerts": conditions,
                "next_due_at": due,
            },
            now=NOW - timedelta(days=1),
        )
        session.commit()
        assert sub.id is not None
        return sub.id


def _report(
    engine,
    catalogue,
    *,
    place: str = "hyesan",
    day: str = "2026-11-27",
    border: str | None = None,
    topics: tuple[str, ...] = ("border",),
    enforcement: str | None = None,
    summary: str = "Traders say the crossing changed.",
    source_url: str | None = "https://example.org/report?a=1&b=2",
    created: datetime = NOW,
    deleted: bool = False,
) -> int:
    observed = date.fromisoformat(day)
    row = TradeReport(
        market_id=catalogue.market_slugs[place],
        observed_on=observed,
        observed_precision="day",
        sort_on=observed,
        topics=list(topics),
        border_status=border,
        enforcement=enforcement,
        summary=summary,
        source_name="Daily NK",
        source_url=source_url,
        reliability="B2",
        created_at=created,
        deleted_at=created if deleted else None,
        natural_key=uuid.uuid4().hex,
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def _alerts(engine) -> list[DigestDelivery]:
    with Session(engine) as session:
        query = select(DigestDelivery).where(DigestDelivery.kind == condition_alerts.KIND)
        return list(session.exec(query.order_by(DigestDelivery.id)))


def _chats(engine, rows: list[DigestDelivery]) -> set[int]:
    with Session(engine) as session:
        return {session.get(Subscription, r.subscription_id).chat_id for r in rows}


def _body(engine, row: DigestDelivery) -> str:
    with Session(engine) as session:
        body = session.get(DigestBody, row.body_id)
        (text,) = body.parts
        return text


def _check(engine, catalogue, ids, now=NOW) -> int:
    return condition_alerts.check_condition_alerts(engine, catalogue, ids, now=now)


def test_a_border_change_alerts_the_place_and_province_subscribers_who_opted_in(
    engine, catalogue, settings
):
    _subscribe(engine, 1, places=("hyesan",), catalogue=catalogue)
    _subscribe(engine, 2, places=("ryanggang",), catalogue=catalogue)  # Hyesan's province
    _subscribe(engine, 3, catalogue=catalogue)  # no place filter: every place
    # A goods filter does not narrow condition alerts: this one watches every place.
    _subscribe(engine, 4, goods=("rice",), catalogue=catalogue)
    _subscribe(engine, 5, places=("north-korea",), catalogue=catalogue)
    # Nobody else: no opt-in, other places, or goods in another place.
    _subscribe(engine, 6, places=("hyesan",), conditions=False, catalogue=catalogue)
    _subscribe(engine, 7, places=("sinuiju",), catalogue=catalogue)
    _subscribe(engine, 8, places=("north-pyongan",), catalogue=catalogue)
    _subscribe(engine, 9, places=("sinpa",), catalogue=catalogue)  # in Ryanggang, not Hyesan
    _subscribe(engine, 10, goods=("rice",), places=("sinuiju",), catalogue=catalogue)
    with Session(engine) as session:  # a stopped subscription gets nothing either
        stopped = _subscribe(engine, 11, places=("hyesan",), catalogue=catalogue)
        repo.unsubscribe(session, chat_id=11, ids=[stopped], now=NOW)
        session.commit()
    # The place's border was open (entered before: not weighed here).
    _report(engine, catalogue, day="2026-11-20", border="open", created=NOW - timedelta(days=7))

    services = make_services(settings, engine)
    raised = []
    services.queued.connect(lambda: raised.append(True))
    closed = _report(engine, catalogue, border="closed", summary="Guards sealed the crossing.")
    assert services.condition_alerts.reports_added([closed]) == 5
    assert raised == [True]  # the sender wakes

    rows = _alerts(engine)
    assert _chats(engine, rows) == {1, 2, 3, 4, 5}
    assert {r.status for r in rows} == {"pending"} and all(r.due_at == NOW for r in rows)
    # One body per language, shared by every delivery.
    assert len({r.body_id for r in rows}) == 1
    text = _body(engine, rows[0])
    assert "Condition alert" in text and "Border: open → closed" in text
    assert "Hyesan" in text and "27 Nov 2026" in text and "Guards sealed the crossing." in text
    assert '<a href="https://example.org/report?a=1&amp;b=2">Daily NK</a>' in text
    parse_html(text)  # valid Telegram HTML


def test_the_first_border_status_of_a_place_alerts_and_names_are_in_the_readers_language(
    engine, catalogue
):
    _subscribe(engine, 1, places=("hyesan",), catalogue=catalogue, language="ko")
    _subscribe(engine, 2, places=("hyesan",), catalogue=catalogue)
    # Earlier reports without a border status, and a deleted one with one, do not count.
    _report(
        engine, catalogue, day="2026-11-01", topics=("smuggling",), created=NOW - timedelta(days=9)
    )
    _report(
        engine,
        catalogue,
        day="2026-11-02",
        border="open",
        deleted=True,
        created=NOW - timedelta(days=9),
    )
    first = _report(engine, catalogue, border="partially-open")
    assert _check(engine, catalogue, [first]) == 2
    rows = _alerts(engine)
    assert len({r.body_id for r in rows}) == 2  # one per language
    texts = {_chats(engine, [r]).pop(): _body(engine, r) for r in rows}
    assert "Border: partially open" in texts[2] and "→" not in texts[2]
    assert "혜산" in texts[1]


def test_a_second_report_the_same_day_is_not_alerted_but_shows_in_the_next_digest(
    engine, catalogue
):
    sub = _subscribe(engine, 1, places=("ryanggang",), catalogue=catalogue, due=LATER)
    first = _report(engine, catalogue, border="closed", summary="The crossing closed at dawn.")
    assert _check(engine, catalogue, [first]) == 1
    # Hours later the same day: a crackdown in the same place is not a second alert...
    second = _report(
        engine,
        catalogue,
        topics=("enforcement",),
        enforcement="phone inspections",
        summary="Inspectors searched traders' phones.",
        created=NOW + timedelta(hours=2),
    )
    assert _check(engine, catalogue, [second], now=NOW + timedelta(hours=2)) == 0
    # ...but another place of the province is its own alert.
    elsewhere = _report(engine, catalogue, place="sinpa", border="closed", summary="Sinpa too.")
    assert _check(engine, catalogue, [elsewhere], now=NOW + timedelta(hours=2)) == 1
    assert len(_alerts(engine)) == 2
    with Session(engine) as session:
        checks = {c.report_id: c for c in session.exec(select(ConditionCheck))}
    assert checks[second].alerted and checks[second].queued == 0

    # The next digest lists both Hyesan reports under trade conditions.
    with Session(engine) as session:
        row = session.get(Subscription, sub)
        row.next_due_at = NOW + timedelta(days=2)
        session.add(row)
        session.commit()
    result = digests.enqueue_due(engine, catalogue, now=NOW + timedelta(days=2, minutes=1))
    assert result.deliveries == 1
    with Session(engine) as session:
        delivery = session.exec(select(DigestDelivery).where(DigestDelivery.kind == "digest")).one()
        text = "\n".join(session.get(DigestBody, delivery.body_id).parts)
    assert "Trade conditions" in text
    assert "The crossing closed at dawn." in text and "Inspectors searched traders' phones." in text

    # The next day (the subscriber's day, in Seoul) the place can alert again.
    tomorrow = NOW + timedelta(days=1)
    third = _report(engine, catalogue, day="2026-11-28", border="open", created=tomorrow)
    assert _check(engine, catalogue, [third], now=tomorrow) == 1
    keys = sorted(r.period_key for r in _alerts(engine))
    hyesan = catalogue.market_slugs["hyesan"]
    assert f"cond:{hyesan}:2026-11-28" in keys and f"cond:{hyesan}:2026-11-29" in keys


def test_the_day_is_the_subscribers_own(engine, catalogue):
    # 09:00 UTC is 18:00 in Seoul and 04:00 in New York: 18:00 UTC is the next day in Seoul only.
    _subscribe(engine, 1, places=("hyesan",), catalogue=catalogue, timezone="Asia/Seoul")
    _subscribe(engine, 2, places=("hyesan",), catalogue=catalogue, timezone="America/New_York")
    first = _report(engine, catalogue, border="closed")
    assert _check(engine, catalogue, [first]) == 2
    evening = NOW + timedelta(hours=9)
    second = _report(engine, catalogue, border="open", created=evening)
    assert _check(engine, catalogue, [second], now=evening) == 1
    assert _chats(engine, _alerts(engine)[2:]) == {1}


def test_an_unchanged_border_status_without_enforcement_does_not_alert(engine, catalogue):
    _subscribe(engine, 1, places=("hyesan",), catalogue=catalogue)
    _report(engine, catalogue, day="2026-11-10", border="closed", created=NOW - timedelta(days=9))
    # A report without a border status in between is skipped when finding the previous status.
    _report(
        engine,
        catalogue,
        day="2026-11-15",
        topics=("market-activity",),
        created=NOW - timedelta(days=9),
    )
    same = _report(engine, catalogue, border="closed", topics=("border", "smuggling"))
    quiet = _report(engine, catalogue, topics=("market-activity",), enforcement="  ")
    assert _check(engine, catalogue, [same, quiet]) == 0
    assert _alerts(engine) == []


def test_a_past_report_is_not_news_an_undated_one_is(engine, catalogue):
    _subscribe(engine, 1, places=("hyesan",), catalogue=catalogue)
    _subscribe(engine, 2, places=("sinuiju",), catalogue=catalogue)
    # From a file of past reports: the border changed in 2019, the crackdown was in 2021.
    past = _report(engine, catalogue, day="2019-03-15", border="closed")
    crackdown = _report(engine, catalogue, day="2021-01-29", topics=("enforcement",))
    assert _check(engine, catalogue, [past, crackdown]) == 0
    # Sixty days is still news (the digests' stale limit); an undated report is weighed too.
    recent = _report(engine, catalogue, day="2026-09-29", border="open")
    with Session(engine) as session:
        undated = session.get(
            TradeReport, _report(engine, catalogue, place="sinuiju", topics=("enforcement",))
        )
        undated.observed_on, undated.observed_precision = None, "unknown"
        undated.sort_on = UNDATED
        session.add(undated)
        session.commit()
        undated_id = undated.id
    assert _check(engine, catalogue, [recent, undated_id]) == 2
    texts = {_chats(engine, [r]).pop(): _body(engine, r) for r in _alerts(engine)}
    assert "Border: closed → open" in texts[1] and "date not stated" in texts[2]


def test_enforcement_alerts_by_topic_or_by_text(engine, catalogue):
    _subscribe(engine, 1, places=("hyesan",), catalogue=catalogue)
    _subscribe(engine, 2, places=("sinuiju",), catalogue=catalogue)
    by_topic = _report(engine, catalogue, topics=("enforcement",), summary="A crackdown began.")
    by_text = _report(
        engine, catalogue, place="sinuiju", topics=("smuggling",), enforcement="public executions"
    )
    assert _check(engine, catalogue, [by_topic, by_text]) == 2
    texts = {_chats(engine, [r]).pop(): _body(engine, r) for r in _alerts(engine)}
    assert "Condition alert</b>: enforcement" in texts[1] and "A crackdown began." in texts[1]
    assert "Enforcement: public executions" in texts[2] and "Border:" not in texts[2]


def test_opting_in_and_out_through_the_subscription(engine, catalogue, settings):
    services = make_services(settings, engine)
    subs = services.subscriptions
    reply = subs.subscribe(
        chat_id=1, chat_type="private", user_id=1, text="hyesan conditions", lang="en"
    )
    assert (
        "Subscribed: all commodities · Hyesan" in reply.text and "Condition alerts on" in reply.text
    )
    assert any("🛂 Condition alerts off" in b.text for row in reply.buttons for b in row)
    with Session(engine) as session:
        (sub,) = repo.chat_subscriptions(session, chat_id=1)
    assert sub.condition_alerts and not sub.alerts
    listing = subs.listing(chat_id=1, lang="en", bot_username="bot")
    assert "Condition alerts: on" in listing.text
    assert any(b.data == f"sub:cn:{sub.id}" for row in listing.buttons for b in row)

    first = _report(engine, catalogue, border="closed")
    assert services.condition_alerts.reports_added([first]) == 1
    # The 🛂 button switches them off: the next day's change does not alert.
    subs.toggle_condition_alerts(chat_id=1, subscription_id=sub.id, lang="en", bot_username="b")
    tomorrow = NOW + timedelta(days=1)
    second = _report(engine, catalogue, day="2026-11-28", border="open", created=tomorrow)
    assert condition_alerts.check_condition_alerts(engine, catalogue, [second], now=tomorrow) == 0
    # On again with the button, off again with the word.
    subs.toggle_condition_alerts(chat_id=1, subscription_id=sub.id, lang="en", bot_username="b")
    with Session(engine) as session:
        assert session.get(Subscription, sub.id).condition_alerts
    off = subs.subscribe(
        chat_id=1, chat_type="private", user_id=1, text="hyesan conditions off", lang="en"
    )
    assert "Already subscribed" in off.text and "Condition alerts off." in off.text
    # Subscribing again without the word keeps the setting.
    subs.subscribe(chat_id=1, chat_type="private", user_id=1, text="hyesan", lang="en")
    with Session(engine) as session:
        assert not session.get(Subscription, sub.id).condition_alerts
    later = NOW + timedelta(days=2)
    third = _report(engine, catalogue, day="2026-11-29", border="closed", created=later)
    assert condition_alerts.check_condition_alerts(engine, catalogue, [third], now=later) == 0
    assert len(_alerts(engine)) == 1
    counts = subs.stats(lang="en").text
    assert "condition alerts: pending 1" in counts


def test_the_conditions_word_is_read_apart_from_the_names():
    assert condition_words("rice hyesan conditions") == ("rice hyesan", True)
    assert condition_words("Conditions off hyesan") == ("hyesan", False)
    assert condition_words("conditions on") == ("", True)
    assert condition_words("air conditioner hyesan") == ("air conditioner hyesan", None)
    assert condition_words("hyesan conditions onions") == ("hyesan onions", True)


def test_the_same_ids_twice_queue_once(engine, catalogue, settings):
    _subscribe(engine, 1, places=("hyesan",), catalogue=catalogue)
    clock = [NOW]
    services = make_services(settings, engine, now=lambda: clock[0])
    report = _report(engine, catalogue, border="closed")
    assert services.condition_alerts.reports_added([report, report]) == 1
    assert services.condition_alerts.reports_added([report]) == 0
    # Not even another day, when the place's slot for the day is free again.
    clock[0] = NOW + timedelta(days=1)
    assert services.condition_alerts.reports_added([report]) == 0
    assert len(_alerts(engine)) == 1
    # Unknown and deleted reports queue nothing.
    gone = _report(engine, catalogue, place="sinuiju", border="closed", deleted=True)
    assert services.condition_alerts.reports_added([gone, 999_999]) == 0


def test_the_message_fits_telegram_and_escapes_the_report(engine, catalogue):
    _subscribe(engine, 1, places=("hyesan",), catalogue=catalogue)
    _subscribe(engine, 2, places=("sinuiju",), catalogue=catalogue)
    _report(engine, catalogue, day="2026-11-20", border="closed", created=NOW - timedelta(days=7))
    hostile = "<b>bold</b> & <script>alert(1)</script> " * 50  # 2,000 characters
    assert len(hostile) == 2000
    long = _report(
        engine,
        catalogue,
        border="partially-open",
        topics=("border", "enforcement"),
        enforcement="<i>crackdown</i> & " * 100,
        summary=hostile,
    )
    # The worst case for escaping: every character grows five-fold.
    ampersands = _report(
        engine, catalogue, place="sinuiju", topics=("enforcement",), summary="&" * 2000
    )
    assert _check(engine, catalogue, [long, ampersands]) == 2
    texts = {_chats(engine, [r]).pop(): _body(engine, r) for r in _alerts(engine)}
    for text in texts.values():
        assert len(text) <= MAX_TEXT
        parsed = parse_html(text)  # valid Telegram HTML: every tag closes, nothing unescaped
        assert parsed.utf16_length <= MAX_TEXT
    text = texts[1]
    assert "Border: closed → partially open" in text
    assert "<script>" not in text and "&lt;script&gt;" in text and "&lt;b&gt;bold" in text
    assert "…" in text  # the summary was shortened
    assert "Daily NK" in text

"""Digest schedules: one due instant per period at the chosen local hour, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import schedule as schedule_module
from bot.domain.schedule import (
    CADENCES,
    COMMON_TIMEZONES,
    WEEKDAY_NAMES,
    WEEKDAY_SHORT,
    Schedule,
    canonical_timezone,
    catch_up,
    describe,
    next_due,
    period_key,
    period_length,
)

SUNDAY, MONDAY = 6, 0
BERLIN, NEW_YORK = "Europe/Berlin", "America/New_York"
# The instants the clocks change in 2026 (UTC), with the offsets before and after.
TRANSITIONS = {
    (BERLIN, "spring"): (datetime(2026, 3, 29, 1, tzinfo=UTC), 1, 2),
    (BERLIN, "fall"): (datetime(2026, 10, 25, 1, tzinfo=UTC), 2, 1),
    (NEW_YORK, "spring"): (datetime(2026, 3, 8, 7, tzinfo=UTC), -5, -4),
    (NEW_YORK, "fall"): (datetime(2026, 11, 1, 6, tzinfo=UTC), -4, -5),
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def simulate(schedule: Schedule, start: datetime, count: int) -> list[datetime]:
    """Run the scheduler: each due time is computed from the previous one, as the bot stores it."""
    dues, cursor = [], start
    for _ in range(count):
        cursor = next_due(schedule, cursor)
        dues.append(cursor)
    return dues


def exists(zone: ZoneInfo, day: date, hour: int) -> bool:
    """Tell whether the local wall time day hour:00 happens at all (it doesn't in a gap)."""
    wall = datetime(day.year, day.month, day.day, hour)
    back = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return back == wall


# Weekly across both DST changes of 2026 in Europe and the US


@pytest.mark.parametrize("tz,season", sorted(TRANSITIONS))
@pytest.mark.parametrize("weekday", [SUNDAY, MONDAY])
@pytest.mark.parametrize("hour", [0, 1, 2, 3, 9, 23])
def test_weekly_ten_weeks_around_each_dst_change(tz, season, weekday, hour):
    change, before, after = TRANSITIONS[tz, season]
    zone = ZoneInfo(tz)
    schedule = Schedule("weekly", weekday, hour, tz)
    dues = simulate(schedule, change - timedelta(weeks=5), 10)

    weeks = [due.astimezone(zone).isocalendar()[:2] for due in dues]
    assert len(set(weeks)) == 10  # exactly one due per ISO week...
    days = [due.astimezone(zone).date() for due in dues]
    assert all(b - a == timedelta(days=7) for a, b in pairwise(days))  # ...in a row
    start = change - timedelta(weeks=5)
    assert start < dues[0] <= start + timedelta(days=7, hours=1)
    gaps = 0
    for due in dues:
        assert due.tzinfo is UTC
        local = due.astimezone(zone)
        assert local.weekday() == weekday
        if exists(zone, local.date(), hour):
            assert (local.hour, local.minute) == (hour, 0)
        else:  # the spring-forward gap: just after it
            assert (season, local.hour) == ("spring", hour + 1)
            gaps += 1
        expected = after if due >= change else before
        assert local.utcoffset() == timedelta(hours=expected)
    # Only 02:00 on the spring-forward Sunday falls in a gap, and it is among the ten weeks.
    assert gaps == (1 if (season, weekday, hour) == ("spring", SUNDAY, 2) else 0)
    # The offset does change within the ten weeks.
    assert {due.astimezone(zone).utcoffset() for due in dues} == {
        timedelta(hours=before),
        timedelta(hours=after),
    }


@pytest.mark.parametrize(
    "tz,day,hour,expected",
    [
        # Spring forward: 02:00 does not exist; the due time is just after the gap.
        (BERLIN, date(2026, 3, 29), 1, utc(2026, 3, 29, 0)),  # 01:00 CET
        (BERLIN, date(2026, 3, 29), 2, utc(2026, 3, 29, 1)),  # -> 03:00 CEST
        (BERLIN, date(2026, 3, 29), 3, utc(2026, 3, 29, 1)),  # 03:00 CEST
        (NEW_YORK, date(2026, 3, 8), 1, utc(2026, 3, 8, 6)),  # 01:00 EST
        (NEW_YORK, date(2026, 3, 8), 2, utc(2026, 3, 8, 7)),  # -> 03:00 EDT
        (NEW_YORK, date(2026, 3, 8), 3, utc(2026, 3, 8, 7)),  # 03:00 EDT
        # Fall back: the repeated hour is taken at its first occurrence, once.
        (BERLIN, date(2026, 10, 25), 1, utc(2026, 10, 24, 23)),  # 01:00 CEST
        (BERLIN, date(2026, 10, 25), 2, utc(2026, 10, 25, 0)),  # first 02:00, CEST
        (BERLIN, date(2026, 10, 25), 3, utc(2026, 10, 25, 2)),  # 03:00 CET
        (NEW_YORK, date(2026, 11, 1), 1, utc(2026, 11, 1, 5)),  # first 01:00, EDT
        (NEW_YORK, date(2026, 11, 1), 2, utc(2026, 11, 1, 7)),  # 02:00 EST
    ],
)
def test_the_transition_sunday_itself(tz, day, hour, expected):
    schedule = Schedule("weekly", SUNDAY, hour, tz)
    week_before = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=3)
    due = next_due(schedule, week_before)
    assert due == expected
    # The repeated hour is not due a second time: the next due is a week later.
    following = next_due(schedule, due)
    assert following.astimezone(ZoneInfo(tz)).date() == day + timedelta(days=7)
    assert following.astimezone(ZoneInfo(tz)).hour == hour


def test_the_gap_example_from_the_spec():
    schedule = Schedule("weekly", SUNDAY, 2, BERLIN)
    due = next_due(schedule, utc(2026, 3, 28, 12))
    assert due == utc(2026, 3, 29, 1)
    assert due.astimezone(ZoneInfo(BERLIN)).isoformat() == "2026-03-29T03:00:00+02:00"


# Daily across DST


@pytest.mark.parametrize("tz,season", sorted(TRANSITIONS))
@pytest.mark.parametrize("hour", [1, 2, 18])
def test_daily_one_due_per_local_date_across_dst(tz, season, hour):
    change, before, after = TRANSITIONS[tz, season]
    zone = ZoneInfo(tz)
    schedule = Schedule("daily", 0, hour, tz)
    dues = simulate(schedule, change - timedelta(days=5), 10)
    days = [due.astimezone(zone).date() for due in dues]
    assert days == [days[0] + timedelta(days=i) for i in range(10)]
    for due in dues:
        local = due.astimezone(zone)
        assert local.hour == (hour if exists(zone, local.date(), hour) else hour + 1)
        assert local.utcoffset() == timedelta(hours=after if due >= change else before)
    gaps = [b - a for a, b in pairwise(dues)]
    # Days are 24 hours except the one the clocks change on (23 or 25 hours, or less/more
    # around a gap hour, which is pushed to just after the gap).
    assert sorted(set(gaps)) != [timedelta(days=1)]
    assert all(timedelta(hours=22) <= gap <= timedelta(hours=26) for gap in gaps)


def test_daily_fall_back_hour_is_not_due_twice():
    schedule = Schedule("daily", 0, 1, NEW_YORK)
    first = next_due(schedule, utc(2026, 10, 31, 12))
    assert first == utc(2026, 11, 1, 5)  # 01:00 EDT
    # From the first 01:00, or from inside the repeated hour, the next is the following day.
    assert next_due(schedule, first) == utc(2026, 11, 2, 6)
    assert next_due(schedule, utc(2026, 11, 1, 6, 30)) == utc(2026, 11, 2, 6)  # 01:30 EST


def test_next_due_is_strictly_after_and_accepts_any_aware_datetime():
    schedule = Schedule("weekly", MONDAY, 9, "Asia/Seoul")
    due = utc(2026, 11, 23, 0)  # Monday 09:00 KST
    assert next_due(schedule, due - timedelta(microseconds=1)) == due
    assert next_due(schedule, due) == utc(2026, 11, 30, 0)
    seoul = due.astimezone(ZoneInfo("Asia/Seoul"))
    assert next_due(schedule, seoul) == utc(2026, 11, 30, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_due(schedule, datetime(2026, 11, 23, 9))


# Catching up after downtime


def test_catch_up_after_three_weeks_sends_one_digest():
    schedule = Schedule("weekly", MONDAY, 9, "Asia/Seoul")
    due = utc(2026, 11, 2, 0)
    now = utc(2026, 11, 25, 12)  # three missed Mondays later
    assert catch_up(schedule, due, now) == (utc(2026, 11, 23, 0), utc(2026, 11, 30, 0))


def test_catch_up_after_three_years_does_not_walk_every_week(monkeypatch):
    calls = []
    real = schedule_module._instant
    monkeypatch.setattr(
        schedule_module, "_instant", lambda s, day: calls.append(day) or real(s, day)
    )
    schedule = Schedule("weekly", MONDAY, 9, "Asia/Seoul")
    latest, following = catch_up(schedule, utc(2023, 11, 6, 0), utc(2026, 11, 25, 12))
    assert (latest, following) == (utc(2026, 11, 23, 0), utc(2026, 11, 30, 0))
    assert len(calls) <= 4  # not ~160 weeks


def test_catch_up_across_dst_and_at_an_exact_due_time():
    schedule = Schedule("weekly", SUNDAY, 2, BERLIN)
    latest, following = catch_up(schedule, utc(2026, 3, 1, 1), utc(2026, 4, 1))
    assert latest == utc(2026, 3, 29, 1)  # in the gap: 03:00 CEST
    assert following == utc(2026, 4, 5, 0)  # 02:00 CEST
    # "now" exactly at a due time: that is the latest; the next is a period later.
    assert catch_up(schedule, latest, latest) == (latest, following)
    daily = Schedule("daily", 0, 18, "America/Los_Angeles")
    assert catch_up(daily, utc(2020, 1, 1, 2), utc(2026, 11, 29, 1)) == (
        utc(2026, 11, 28, 2),
        utc(2026, 11, 29, 2),
    )


def test_catch_up_refuses_a_future_due_and_naive_times():
    schedule = Schedule("daily", 0, 9, "UTC")
    with pytest.raises(ValueError, match="future"):
        catch_up(schedule, utc(2026, 12, 1), utc(2026, 11, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        catch_up(schedule, datetime(2026, 11, 1), utc(2026, 11, 2))
    with pytest.raises(ValueError, match="timezone-aware"):
        catch_up(schedule, utc(2026, 11, 1), datetime(2026, 11, 2))


# Periods


def test_period_keys_are_local():
    weekly = Schedule("weekly", MONDAY, 1, "Asia/Seoul")
    # Monday 01:00 KST is still Sunday in UTC, in the previous ISO week: the key is local.
    assert period_key(weekly, utc(2026, 11, 22, 16)) == "2026-W48"
    assert period_key(weekly, utc(2026, 11, 28, 9)) == "2026-W48"
    # ISO years: 1 Jan 2027 is in week 53 of 2026; 4 Jan 2027 starts 2027-W01.
    assert period_key(weekly, utc(2027, 1, 1, 0)) == "2026-W53"
    assert period_key(weekly, utc(2027, 1, 4, 0)) == "2027-W01"
    daily = Schedule("daily", 0, 18, "America/Los_Angeles")
    assert period_key(daily, utc(2026, 11, 29, 2)) == "2026-11-28"  # 18:00 PST on the 28th
    with pytest.raises(ValueError):
        period_key(daily, datetime(2026, 11, 28, 18))


def test_period_keys_of_consecutive_dues_differ():
    for tz in (BERLIN, NEW_YORK):
        schedule = Schedule("weekly", SUNDAY, 2, tz)
        keys = [period_key(schedule, due) for due in simulate(schedule, utc(2026, 1, 1), 60)]
        assert len(set(keys)) == 60


def test_period_length():
    assert period_length("weekly") == timedelta(days=7)
    assert period_length("daily") == timedelta(days=1)
    with pytest.raises(ValueError):
        period_length("monthly")


# Validation and names


@pytest.mark.parametrize(
    "fields",
    [
        ("monthly", 0, 9, "UTC"),
        ("Weekly", 0, 9, "UTC"),
        ("weekly", 7, 9, "UTC"),
        ("weekly", -1, 9, "UTC"),
        ("weekly", True, 9, "UTC"),
        ("weekly", 0, 24, "UTC"),
        ("weekly", 0, -1, "UTC"),
        ("weekly", 0, 9.0, "UTC"),
        ("weekly", 0, "9", "UTC"),
        ("weekly", 0, 9, "Mars/Olympus_Mons"),
        ("weekly", 0, 9, "europe/berlin"),  # stored names are canonical
        ("weekly", 0, 9, ""),
        ("weekly", 0, 9, "../etc/passwd"),
        ("daily", 9, 9, "UTC"),
    ],
)
def test_invalid_schedules_raise(fields):
    with pytest.raises(ValueError):
        Schedule(*fields)


def test_valid_schedules():
    for tz in COMMON_TIMEZONES:
        assert Schedule("weekly", 6, 23, tz).timezone == tz
    assert Schedule("daily", 0, 0, "Asia/Pyongyang").zone == ZoneInfo("Asia/Pyongyang")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Europe/Berlin", BERLIN),
        ("europe/berlin", BERLIN),
        ("  AMERICA/NEW_YORK ", NEW_YORK),
        ("america/new york", NEW_YORK),
        ("utc", "UTC"),
        ("UTC", "UTC"),
        ("GMT", "UTC"),
        ("KST", "Asia/Seoul"),
        ("seoul", "Asia/Seoul"),
        ("Pyongyang", "Asia/Pyongyang"),
        ("JST", "Asia/Tokyo"),
        ("Tokyo", "Asia/Tokyo"),
        ("Beijing", "Asia/Shanghai"),
        ("Berlin", BERLIN),
        ("London", "Europe/London"),
        ("New York", NEW_YORK),
        ("new  york", NEW_YORK),
        ("asia/pyongyang", "Asia/Pyongyang"),
        ("CST", None),  # China, US Central or Cuba: not guessed
        ("IST", None),
        ("EST", None),  # a legacy fixed-offset zone, not what people mean by it
        ("Japan", None),
        ("localtime", None),
        ("Mars/Olympus_Mons", None),
        ("", None),
        ("   ", None),
    ],
)
def test_canonical_timezone(text, expected):
    assert canonical_timezone(text) == expected
    if expected:
        Schedule("daily", 0, 9, expected)  # every answer is a valid stored name


class Wrapping:
    """A translator that marks every string it was asked for."""

    def gettext(self, message: str, /) -> str:
        return f"⟦{message}⟧"

    def ngettext(self, singular: str, plural: str, n: int, /) -> str:
        return f"⟦{singular if n == 1 else plural}⟧"


def test_describe():
    from bot.domain.i18n import ENGLISH

    assert describe(Schedule("weekly", MONDAY, 9, "Asia/Seoul"), ENGLISH) == (
        "Weekly, Mondays at 09:00 (Asia/Seoul)"
    )
    assert describe(Schedule("daily", 3, 18, BERLIN), ENGLISH) == "Daily at 18:00 (Europe/Berlin)"
    assert describe(Schedule("weekly", SUNDAY, 0, "UTC"), Wrapping()) == (
        "⟦Weekly, ⟦Sundays⟧ at 00:00 (UTC)⟧"
    )
    assert len(WEEKDAY_NAMES) == len(WEEKDAY_SHORT) == 7
    assert (WEEKDAY_NAMES[0], WEEKDAY_SHORT[6]) == ("Monday", "Sun")


# Properties on generated schedules and times

zones = st.sampled_from([ZoneInfo(name) for name in COMMON_TIMEZONES])
afters = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=zones
)
schedules = st.builds(
    Schedule,
    cadence=st.sampled_from(CADENCES),
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    timezone=st.sampled_from(COMMON_TIMEZONES),
)


@settings(max_examples=1500, deadline=None)
@given(schedule=schedules, after=afters)
def test_next_due_properties(schedule, after):
    due = next_due(schedule, after)
    period = period_length(schedule.cadence)
    assert due.tzinfo is UTC
    assert due > after
    assert due - after <= period + timedelta(hours=1)
    local = due.astimezone(schedule.zone)
    if schedule.cadence == "weekly":
        assert local.weekday() == schedule.weekday
    if exists(schedule.zone, local.date(), schedule.hour):
        assert (local.hour, local.minute, local.second) == (schedule.hour, 0, 0)
    else:
        assert local.hour == schedule.hour + 1
    # It is the FIRST such instant: the occurrence a period earlier is not after `after`.
    previous_day = local.date() - period
    earlier = datetime(
        previous_day.year, previous_day.month, previous_day.day, schedule.hour, tzinfo=schedule.zone
    ).astimezone(UTC)  # compared as instants, not as wall times in one zone
    assert earlier <= after
    # Catching up from any earlier due time agrees with next_due and leaves no due in between.
    latest, following = catch_up(schedule, after - timedelta(days=400), after)
    assert latest <= after < following == due
    assert next_due(schedule, latest) == following
    assert period_key(schedule, latest) != period_key(schedule, following)


def oracle(schedule: Schedule, day: date) -> datetime:
    """The first instant (on a 15-minute grid) whose local wall time reaches day hour:00."""
    target = datetime(day.year, day.month, day.day, schedule.hour)
    moment = datetime(day.year, day.month, day.day, schedule.hour, tzinfo=UTC) - timedelta(hours=16)
    while moment.astimezone(schedule.zone).replace(tzinfo=None) < target:
        moment += timedelta(minutes=15)
    return moment


@settings(max_examples=300, deadline=None)
@given(schedule=schedules, after=afters)
def test_next_due_agrees_with_a_brute_force_oracle(schedule, after):
    start = after.astimezone(schedule.zone).date() - timedelta(days=1)
    candidates = [
        oracle(schedule, day)
        for day in (start + timedelta(days=i) for i in range(10))
        if schedule.cadence == "daily" or day.weekday() == schedule.weekday
    ]
    assert next_due(schedule, after) == min(c for c in candidates if c > after)

"""The digest schedule of a chat: cadence, weekday, hour and time zone, and the reply language
its digests use."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import callbacks
from bot.domain.errors import InvalidInput
from bot.domain.i18n import N_, Translator
from bot.domain.schedule import (
    CADENCES,
    COMMON_TIMEZONES,
    WEEKDAY_SHORT,
    canonical_timezone,
    describe,
    next_due,
)
from bot.i18n import translator
from bot.rendering import html as render
from bot.rendering.replies import Button, Reply
from bot.services import digests
from bot.services.clock import Clock
from db import repo
from db.models import Subscription
from db.repo.users import set_user_timezone

NOT_SUBSCRIBED = N_("This chat has no subscriptions. /subscribe starts one.")
_CADENCE_LABELS = {"weekly": N_("Weekly"), "daily": N_("Daily")}


def when_text(subscription: Subscription, t: Translator) -> str:
    """The schedule, the next due time in the subscription's zone, and whether alerts are on."""
    schedule = digests.schedule_of(subscription)
    text = describe(schedule, t)
    if subscription.next_due_at is not None and subscription.active:
        local = subscription.next_due_at.astimezone(ZoneInfo(schedule.timezone))
        text += " · " + t.gettext("next: {when}").format(when=local.strftime("%Y-%m-%d %H:%M"))
    alerts = t.gettext("price alerts on") if subscription.alerts else t.gettext("price alerts off")
    return f"{text} · {alerts}"


class Schedules:
    """Use cases for a chat's digest schedule; every subscription of the chat follows it."""

    def __init__(self, *, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.now = clock

    def schedule_text(
        self, *, chat_id: int, lang: str
    ) -> tuple[str, tuple[tuple[Button, ...], ...]]:
        """The digest part of /settings: the schedule and buttons to change it."""
        t = translator(lang)
        with Session(self.engine) as session:
            rows = repo.chat_subscriptions(session, chat_id=chat_id)
        if not rows:
            return render.esc(t.gettext("Digests: none yet. /subscribe starts one.")), ()
        schedule = digests.schedule_of(rows[0])
        text = render.esc(t.gettext("Digests: {schedule}").format(schedule=describe(schedule, t)))
        cadence = tuple(
            Button(
                ("✅ " if schedule.cadence == c else "") + t.gettext(_CADENCE_LABELS[c]),
                callbacks.encode("sch", "cad", c),
            )
            for c in CADENCES
        )
        pickers = (
            Button(t.gettext("📅 Day"), callbacks.encode("sch", "pick", "day")),
            Button(t.gettext("🕘 Hour"), callbacks.encode("sch", "pick", "hour")),
            Button(t.gettext("🌐 Time zone"), callbacks.encode("sch", "pick", "tz")),
        )
        return text, (cadence, pickers)

    def picker(self, *, what: str, chat_id: int, lang: str) -> Reply:
        t = translator(lang)
        with Session(self.engine) as session:
            rows = repo.chat_subscriptions(session, chat_id=chat_id)
        if not rows:
            raise InvalidInput(NOT_SUBSCRIBED)
        schedule = digests.schedule_of(rows[0])
        if what == "day":
            buttons = [
                Button(
                    ("✅ " if schedule.weekday == i else "") + t.gettext(name),
                    callbacks.encode("sch", "day", i),
                )
                for i, name in enumerate(WEEKDAY_SHORT)
            ]
            rows_out: tuple[tuple[Button, ...], ...] = (tuple(buttons[:4]), tuple(buttons[4:]))
            prompt = t.gettext("Which day should the weekly digest come?")
        elif what == "hour":
            buttons = [
                Button(
                    ("✅ " if schedule.hour == h else "") + f"{h:02d}",
                    callbacks.encode("sch", "hour", h),
                )
                for h in range(24)
            ]
            rows_out = tuple(tuple(buttons[i : i + 6]) for i in range(0, 24, 6))
            prompt = t.gettext("At what hour (in {zone})?").format(zone=schedule.timezone)
        elif what == "tz":
            buttons = [
                Button(
                    ("✅ " if schedule.timezone == z else "") + z, callbacks.encode("sch", "tz", i)
                )
                for i, z in enumerate(COMMON_TIMEZONES)
            ]
            rows_out = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
            prompt = t.gettext(
                "Which time zone? Another one: send /timezone Europe/Paris (any IANA name)."
            )
        else:
            raise InvalidInput("This button is no longer valid.")
        return Reply(text=render.esc(prompt), buttons=rows_out)

    def set_schedule(self, *, chat_id: int, field: str, value: str, lang: str) -> str:
        """Change the chat's digest schedule (all its subscriptions); return the confirmation."""
        changes: dict[str, object] = {}
        if field == "cad" and value in CADENCES:
            changes["cadence"] = value
        elif field == "day" and value.isdigit() and 0 <= int(value) <= 6:
            changes["weekday"] = int(value)
        elif field == "hour" and value.isdigit() and 0 <= int(value) <= 23:
            changes["hour"] = int(value)
        elif field == "tz" and value.isdigit() and int(value) < len(COMMON_TIMEZONES):
            changes["timezone"] = COMMON_TIMEZONES[int(value)]
        elif field == "zone":
            zone = canonical_timezone(value)
            if zone is None:
                raise InvalidInput(
                    "“{zone}” is not a time zone I know. Use an IANA name such as Europe/Berlin, "
                    "America/New_York or Asia/Seoul.",
                    zone=value,
                )
            changes["timezone"] = zone
        else:
            raise InvalidInput("This button is no longer valid.")
        now = self.now()
        t = translator(lang)
        with Session(self.engine) as session:
            rows = repo.chat_subscriptions(session, chat_id=chat_id)
            if not rows:
                raise InvalidInput(NOT_SUBSCRIBED)
            for row in rows:
                for key, new in changes.items():
                    setattr(row, key, new)
                row.next_due_at = next_due(digests.schedule_of(row), now)
                row.updated_at = now
                session.add(row)
            session.commit()
            first = rows[0]
            session.refresh(first)
            return when_text(first, t)

    def remember_timezone(self, *, user_id: int, text: str) -> str:
        """Store a user's time zone (used for their future subscriptions); return its IANA name."""
        zone = canonical_timezone(text)
        if zone is None:
            raise InvalidInput(
                "“{zone}” is not a time zone I know. Use an IANA name such as Europe/Berlin, "
                "America/New_York or Asia/Seoul.",
                zone=text,
            )
        with Session(self.engine) as session:
            set_user_timezone(session, telegram_id=user_id, timezone=zone)
            session.commit()
        return zone

    def set_language(self, *, chat_id: int, language: str) -> None:
        """Digests follow the language the chat's subscriber chose."""
        with Session(self.engine) as session:
            for row in repo.chat_subscriptions(session, chat_id=chat_id):
                row.language = language
                session.add(row)
            session.commit()

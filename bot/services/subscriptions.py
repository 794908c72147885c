"""Subscribing, unsubscribing, previews and delivery figures."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import callbacks
from bot.domain.errors import InvalidInput
from bot.domain.i18n import N_, Translator
from bot.domain.schedule import (
    Schedule,
    next_due,
)
from bot.domain.watch import parse_payload, parse_watch_list, payload_for
from bot.i18n import translator
from bot.rendering import html as render
from bot.rendering.replies import Button, Reply
from bot.services import digests
from bot.services.catalogue import Catalogue, CatalogueStore
from bot.services.clock import Clock
from bot.services.schedules import NOT_SUBSCRIBED, when_text
from db import repo
from db.models import Subscription
from db.repo.users import user_timezone

SUBSCRIBE_USAGE = N_(
    "<b>Subscribing</b>: <code>/subscribe</code> alone sends a weekly digest of every market; "
    "<code>/subscribe rice corn hyesan</code> watches those goods in that place "
    "(<code>/subscribe 쌀 혜산</code>, <code>/subscribe 灵芝</code> work too)."
)
MAX_SUBSCRIPTIONS_PER_CHAT = 10
# "/subscribe hyesan conditions" switches condition alerts on, "... conditions off" off again.
_CONDITIONS_WORD = re.compile(r"(?<![\w-])conditions?(?:\s+(on|off))?(?![\w-])", re.IGNORECASE)
CONDITION_ALERTS_ON = N_(
    "Condition alerts on: a border change or enforcement reported in these places comes at "
    "once, at most one a day per place."
)
CONDITION_ALERTS_OFF = N_("Condition alerts off.")


def condition_words(text: str) -> tuple[str, bool | None]:
    """Take the words "conditions" / "conditions on" / "conditions off" out of a /subscribe text:
    return the rest and the switch they ask for (None when the text has none; the last wins)."""
    wanted: bool | None = None
    for match in _CONDITIONS_WORD.finditer(text):
        wanted = (match.group(1) or "on").lower() == "on"
    if wanted is None:
        return text, None
    return " ".join(_CONDITIONS_WORD.sub(" ", text).split()), wanted


class Subscriptions:
    """Use cases for subscriptions; the handlers have already checked who may change a chat."""

    def __init__(
        self, *, engine: Engine, catalogue: CatalogueStore, clock: Clock, default_timezone: str
    ) -> None:
        self.engine = engine
        self._catalogue = catalogue
        self.now = clock
        self._default_timezone = default_timezone

    @property
    def catalogue(self) -> Catalogue:
        """The current name index."""
        return self._catalogue.current

    # subscribing

    def subscribe(
        self, *, chat_id: int, chat_type: str, user_id: int | None, text: str, lang: str
    ) -> Reply:
        """Subscribe a chat to what a text names (nothing = everything)."""
        text = text.strip()
        if text.lower() in ("help", "?"):
            return Reply(text=translator(lang).gettext(SUBSCRIBE_USAGE))
        text, conditions = condition_words(text)
        if len(text) > 200:
            raise InvalidInput(
                "That is too long: name a few goods and places, e.g. rice corn hyesan."
            )
        watch = parse_watch_list(
            text, commodities=self.catalogue.commodities, markets=self.catalogue.markets
        )
        if watch.unknown:
            t = translator(lang)
            lines = []
            for unknown in watch.unknown:
                if unknown.suggestions:
                    names = ", ".join(c.entry.display for c in unknown.suggestions)
                    lines.append(
                        t.gettext("I don't know “{name}”. Did you mean: {names}?").format(
                            name=unknown.text, names=names
                        )
                    )
                else:
                    lines.append(t.gettext("I don't know “{name}”.").format(name=unknown.text))
            lines.append(
                t.gettext("Nothing was changed. /commodities and /markets list the names.")
            )
            return Reply(text=render.esc("\n".join(lines)))
        return self.subscribe_ids(
            chat_id=chat_id,
            chat_type=chat_type,
            user_id=user_id,
            commodity_ids=watch.commodity_ids,
            market_ids=watch.market_ids,
            lang=lang,
            condition_alerts=conditions,
        )

    def subscribe_payload(
        self, *, chat_id: int, chat_type: str, user_id: int | None, payload: str, lang: str
    ) -> Reply:
        """Subscribe from a t.me/<bot>?start=sub_... link."""
        parsed = parse_payload(payload)
        if parsed is None:
            raise InvalidInput("This subscription link is not valid. /subscribe starts one.")
        goods, places = parsed
        if any(i not in self.catalogue.commodity_labels for i in goods) or any(
            i not in self.catalogue.market_labels for i in places
        ):
            raise InvalidInput("This subscription link is out of date. /subscribe starts one.")
        return self.subscribe_ids(
            chat_id=chat_id,
            chat_type=chat_type,
            user_id=user_id,
            commodity_ids=goods,
            market_ids=places,
            lang=lang,
        )

    def subscribe_ids(
        self,
        *,
        chat_id: int,
        chat_type: str,
        user_id: int | None,
        commodity_ids: tuple[int, ...],
        market_ids: tuple[int, ...],
        lang: str,
        condition_alerts: bool | None = None,
    ) -> Reply:
        """Subscribe a chat to these ids; `condition_alerts` switches those on or off (None:
        a new subscription has them off, an existing one keeps its setting)."""
        now = self.now()
        filters = digests.Filters(tuple(sorted(commodity_ids)), tuple(sorted(market_ids)))
        with Session(self.engine) as session:
            current = repo.chat_subscriptions(session, chat_id=chat_id)
            if len(current) >= MAX_SUBSCRIPTIONS_PER_CHAT and all(
                s.filter_key != filters.key for s in current
            ):
                raise InvalidInput(
                    "This chat already has {count} subscriptions. /unsubscribe one first.",
                    count=len(current),
                )
            schedule = self._chat_schedule(session, chat_id, current, user_id)
            language = current[0].language if current else lang
            switch = {} if condition_alerts is None else {"condition_alerts": condition_alerts}
            subscription, created = repo.add_subscription(
                session,
                values={
                    **switch,
                    "chat_id": chat_id,
                    "chat_type": chat_type,
                    "commodity_ids": list(filters.commodity_ids),
                    "market_ids": list(filters.market_ids),
                    "filter_key": filters.key,
                    "cadence": schedule.cadence,
                    "weekday": schedule.weekday,
                    "hour": schedule.hour,
                    "timezone": schedule.timezone,
                    "language": language,
                    "next_due_at": next_due(schedule, now),
                    "created_by": user_id,
                },
                now=now,
            )
            session.commit()
            session.refresh(subscription)
        t = translator(lang)
        scope = digests.scope_label(self.catalogue, filters, lang)
        head = (
            t.gettext("Subscribed: {scope}.")
            if created
            else t.gettext("Already subscribed: {scope}.")
        ).format(scope=scope)
        lines = [f"✅ {render.esc(head)}", render.esc(when_text(subscription, t))]
        if condition_alerts is not None:
            switched = CONDITION_ALERTS_ON if condition_alerts else CONDITION_ALERTS_OFF
            lines.append("🛂 " + render.esc(t.gettext(switched)))
        lines.append(
            render.esc(
                t.gettext(
                    "/digest shows it now, /settings changes the day, hour and time zone, "
                    "/subscriptions lists what this chat gets."
                )
            )
        )
        return Reply(text="\n".join(lines), buttons=self._row_buttons(subscription, t))

    def _chat_schedule(
        self, session: Session, chat_id: int, current: list[Subscription], user_id: int | None
    ) -> Schedule:
        """A new subscription follows the chat's schedule, else the user's time zone, else defaults."""
        if current:
            return digests.schedule_of(current[0])
        timezone = self._default_timezone
        if user_id is not None:
            timezone = user_timezone(session, telegram_id=user_id) or timezone
        return Schedule(cadence="weekly", weekday=0, hour=9, timezone=timezone)

    def _row_buttons(
        self, subscription: Subscription, t: Translator
    ) -> tuple[tuple[Button, ...], ...]:
        alerts = t.gettext("🔕 Alerts off") if subscription.alerts else t.gettext("🔔 Alerts on")
        conditions = (
            t.gettext("🛂 Condition alerts off")
            if subscription.condition_alerts
            else t.gettext("🛂 Condition alerts on")
        )
        return (
            (
                Button(alerts, callbacks.encode("sub", "al", subscription.id)),
                Button(t.gettext("👀 Preview"), callbacks.encode("sub", "pv", subscription.id)),
                Button(t.gettext("✖ Stop"), callbacks.encode("sub", "un", subscription.id)),
            ),
            (Button(conditions, callbacks.encode("sub", "cn", subscription.id)),),
        )

    # listing and stopping

    def listing(self, *, chat_id: int, lang: str, bot_username: str) -> Reply:
        """List a chat's subscriptions with their schedule, share link and buttons."""
        t = translator(lang)
        with Session(self.engine) as session:
            rows = repo.chat_subscriptions(session, chat_id=chat_id)
        if not rows:
            return Reply(text=render.esc(t.gettext(NOT_SUBSCRIBED)))
        title = t.gettext("Subscriptions")
        lines = [f"<b>{render.esc(title)}</b>"]
        buttons: list[tuple[Button, ...]] = []
        for number, row in enumerate(rows, 1):
            filters = digests.Filters.of(row)
            scope = digests.scope_label(self.catalogue, filters, lang)
            lines.append(f"{number}. <b>{render.esc(scope)}</b>")
            lines.append("   " + render.esc(when_text(row, t)))
            if row.condition_alerts:
                lines.append("   " + render.esc(t.gettext("🛂 Condition alerts: on")))
            try:
                link = f"https://t.me/{bot_username}?start=" + payload_for(
                    filters.commodity_ids, filters.market_ids
                )
                lines.append("   " + render.esc(t.gettext("Share: {link}").format(link=link)))
            except ValueError:
                pass
            alerts = t.gettext("🔕 {n}") if row.alerts else t.gettext("🔔 {n}")
            buttons.append(
                (
                    Button(alerts.format(n=number), callbacks.encode("sub", "al", row.id)),
                    Button(
                        t.gettext("🛂 {n}").format(n=number), callbacks.encode("sub", "cn", row.id)
                    ),
                    Button(
                        t.gettext("👀 {n}").format(n=number), callbacks.encode("sub", "pv", row.id)
                    ),
                    Button(
                        t.gettext("✖ {n}").format(n=number), callbacks.encode("sub", "un", row.id)
                    ),
                )
            )
        legend = t.gettext("🔔 price alerts · 👀 preview · ✖ stop")
        lines.append(render.esc(f"{legend} · 🛂 {t.gettext('condition alerts')}"))
        return Reply(text="\n".join(lines), buttons=tuple(buttons[:8]))

    def unsubscribe(self, *, chat_id: int, text: str, lang: str, bot_username: str) -> Reply:
        """Stop one subscription (by number or names), or all of them."""
        t = translator(lang)
        text = text.strip()
        with Session(self.engine) as session:
            rows = repo.chat_subscriptions(session, chat_id=chat_id)
            if not rows:
                return Reply(text=render.esc(t.gettext(NOT_SUBSCRIBED)))
            if not text and len(rows) > 1:
                listing = self.listing(chat_id=chat_id, lang=lang, bot_username=bot_username)
                hint = t.gettext(
                    "Which one? Tap ✖ below, or send /unsubscribe all, or /unsubscribe 2."
                )
                return replace(listing, text=listing.text + "\n\n" + render.esc(hint))
            if not text or text.lower() in ("all", "전체", "모두", "全部"):
                ids = [r.id for r in rows if r.id is not None]
            elif text.isdigit():
                number = int(text)
                if not 1 <= number <= len(rows):
                    raise InvalidInput(
                        "There is no subscription {number}; /subscriptions lists them.",
                        number=number,
                    )
                ids = [rows[number - 1].id]  # type: ignore[list-item]
            else:
                watch = parse_watch_list(
                    text, commodities=self.catalogue.commodities, markets=self.catalogue.markets
                )
                key = digests.Filters(
                    tuple(sorted(watch.commodity_ids)), tuple(sorted(watch.market_ids))
                ).key
                ids = [r.id for r in rows if r.filter_key == key and r.id is not None]
                if watch.unknown or not ids:
                    raise InvalidInput(
                        "No subscription matches “{text}”; /subscriptions lists them.", text=text
                    )
            stopped = repo.unsubscribe(session, chat_id=chat_id, ids=ids, now=self.now())
            session.commit()
        return Reply(
            text=render.esc(
                t.ngettext(
                    "Stopped {count} subscription. /subscribe starts again.",
                    "Stopped {count} subscriptions. /subscribe starts again.",
                    stopped,
                ).format(count=stopped)
            )
        )

    def stop_one(
        self, *, chat_id: int, subscription_id: int, lang: str, bot_username: str
    ) -> Reply:
        with Session(self.engine) as session:
            stopped = repo.unsubscribe(
                session, chat_id=chat_id, ids=[subscription_id], now=self.now()
            )
            session.commit()
        if not stopped:
            raise InvalidInput("This button is no longer valid.")
        return (
            self.listing(chat_id=chat_id, lang=lang, bot_username=bot_username)
            if self._has_any(chat_id)
            else Reply(
                text=render.esc(
                    translator(lang).gettext(
                        "Stopped. This chat has no subscriptions now; /subscribe starts one."
                    )
                )
            )
        )

    def _has_any(self, chat_id: int) -> bool:
        with Session(self.engine) as session:
            return bool(repo.chat_subscriptions(session, chat_id=chat_id))

    def toggle_alerts(
        self, *, chat_id: int, subscription_id: int, lang: str, bot_username: str
    ) -> Reply:
        """Switch a subscription's price alerts on or off (its 🔔 button)."""
        return self._toggle(chat_id, subscription_id, "alerts", lang, bot_username)

    def toggle_condition_alerts(
        self, *, chat_id: int, subscription_id: int, lang: str, bot_username: str
    ) -> Reply:
        """Switch a subscription's condition alerts on or off (its 🛂 button)."""
        return self._toggle(chat_id, subscription_id, "condition_alerts", lang, bot_username)

    def _toggle(
        self, chat_id: int, subscription_id: int, flag: str, lang: str, bot_username: str
    ) -> Reply:
        with Session(self.engine) as session:
            row = session.get(Subscription, subscription_id)
            if row is None or row.chat_id != chat_id or not row.active:
                raise InvalidInput("This button is no longer valid.")
            setattr(row, flag, not getattr(row, flag))
            row.updated_at = self.now()
            session.add(row)
            session.commit()
        return self.listing(chat_id=chat_id, lang=lang, bot_username=bot_username)

    def reactivate(self, *, chat_id: int) -> int:
        """A chat that blocked the bot came back (/start): restart what delivery stopped."""
        now = self.now()
        with Session(self.engine) as session:
            rows = repo.reactivate_chat(session, chat_id=chat_id, now=now)
            for row in rows:
                row.next_due_at = next_due(digests.schedule_of(row), now)
                session.add(row)
            session.commit()
        return len(rows)

    # previews and figures

    def preview(self, *, chat_id: int, lang: str, subscription_id: int | None = None) -> list[str]:
        """The chat's digests as they would go out now; nothing is recorded as delivered."""
        with Session(self.engine) as session:
            rows = repo.chat_subscriptions(session, chat_id=chat_id)
        if subscription_id is not None:
            rows = [r for r in rows if r.id == subscription_id]
        if not rows:
            raise InvalidInput(NOT_SUBSCRIBED)
        parts: list[str] = []
        for row in rows[:3]:
            parts.extend(digests.preview(self.engine, self.catalogue, row, now=self.now()))
        return parts

    def stats(self, *, lang: str) -> Reply:
        """Subscribers, and the last seven days' deliveries by status (admins)."""
        t = translator(lang)
        since = self.now() - timedelta(days=7)
        with Session(self.engine) as session:
            counts = repo.subscriber_counts(session)
            deliveries = repo.delivery_stats(session, since=since)
        subscribers_title = t.gettext("Subscribers")
        deliveries_title = t.gettext("Deliveries, last 7 days")
        lines = [
            f"<b>{render.esc(subscribers_title)}</b>",
            render.esc(
                t.gettext(
                    "{chats} chats with {subscriptions} active subscriptions "
                    "({private} private, {groups} groups, {channels} channels); {alerts} with alerts"
                ).format(
                    chats=counts.get("active_chats", 0),
                    subscriptions=counts.get("active_subscriptions", 0),
                    private=counts.get("active_private", 0),
                    groups=counts.get("active_group", 0) + counts.get("active_supergroup", 0),
                    channels=counts.get("active_channel", 0),
                    alerts=counts.get("alerts", 0),
                )
            ),
            render.esc(
                t.gettext("{stopped} subscriptions stopped (unsubscribed or unreachable)").format(
                    stopped=counts.get("stopped_subscriptions", 0)
                )
            ),
            "",
            f"<b>{render.esc(deliveries_title)}</b>",
        ]
        if not deliveries:
            lines.append(render.esc(t.gettext("none")))
        labels = {
            "digest": t.gettext("digests"),
            "alert": t.gettext("alerts"),
            "cond": t.gettext("condition alerts"),
        }
        for kind, label in labels.items():
            by_status = deliveries.get(kind)
            if not by_status:
                continue
            parts = ", ".join(
                f"{t.gettext(status)} {by_status[status]:,}"
                for status in ("sent", "pending", "sending", "blocked", "failed")
                if status in by_status
            )
            lines.append(f"{render.esc(label)}: {render.esc(parts)}")
        return Reply(text="\n".join(lines))

    # membership changes reported by Telegram

    def chat_left(self, *, chat_id: int, chat_type: str) -> None:
        """The bot was blocked or removed: pause the chat's subscriptions."""
        reason = "blocked" if chat_type == "private" else "kicked"
        with Session(self.engine) as session:
            repo.deactivate_chat(session, chat_id=chat_id, reason=reason, now=self.now())
            session.commit()

    def chat_migrated(self, *, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its subscriptions follow the new chat id."""
        with Session(self.engine) as session:
            repo.migrate_chat(
                session, old_chat_id=old_chat_id, new_chat_id=new_chat_id, now=self.now()
            )
            session.commit()


# Status names as /stats shows them (extracted for translation).
_STATUS_NAMES = (N_("sent"), N_("pending"), N_("sending"), N_("blocked"), N_("failed"))

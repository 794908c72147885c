"""The use cases the handlers call: one object holding the engine, catalogue and clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import callbacks
from bot.domain.errors import InvalidInput
from bot.domain.i18n import N_
from bot.domain.prices import STALE_AFTER_DAYS
from bot.i18n import translator
from bot.rendering import html as render
from bot.rendering.replies import Button, InlineResult, Reply
from bot.services import alerts, analysis, browse, prices
from bot.services.admin import Admin
from bot.services.catalogue import Catalogue, load_catalogue
from bot.services.entries import Entries
from bot.services.files import Files
from bot.services.forms import Forms
from bot.services.pending import PendingStore
from bot.services.schedules import Schedules
from bot.services.subscriptions import Subscriptions
from config.settings import SUPPORTED_LANGUAGES, Settings
from db import repo

# (command, description) for the menu; the order is the order users see.
ADMIN_COMMANDS = (
    (
        "addprice",
        N_('Add a price: /addprice lingzhi hyesan 500-1200 CNY/kg 2024-11 source:"Daily NK"'),
    ),
    ("addreport", N_("Add a trade-condition report (guided)")),
    ("mine", N_("My latest entries")),
    ("undo", N_("Revert my last entry (24 hours)")),
    ("delete", N_("Delete an entry: /delete ID")),
    ("edit", N_("Correct an entry: /edit ID FIELD VALUE")),
    ("alias", N_("Add a name: /alias lingzhi 靈芝")),
    ("export", N_("Prices as CSV: /export [commodity] [market]")),
    ("audit", N_("Recent changes")),
    ("stats", N_("Subscribers and deliveries")),
    ("cancel", N_("Stop a guided entry")),
)
OWNER_COMMANDS = (
    ("grant", N_("Make someone an admin: /grant ID")),
    ("revoke", N_("Remove admin rights: /revoke ID")),
)
PUBLIC_COMMANDS = (
    ("price", N_("Latest price: /price lingzhi hyesan")),
    ("compare", N_("All markets side by side: /compare rice")),
    ("trend", N_("Price chart: /trend corn hyesan since 2021")),
    ("conditions", N_("Trade conditions: /conditions hyesan")),
    ("commodities", N_("Browse the commodities")),
    ("markets", N_("Browse markets and places")),
    ("subscribe", N_("Weekly digest: /subscribe rice hyesan")),
    ("subscriptions", N_("What this chat is subscribed to")),
    ("digest", N_("Preview this chat's digest now")),
    ("unsubscribe", N_("Stop a digest")),
    ("timezone", N_("Digest time zone: /timezone Europe/Berlin")),
    ("settings", N_("Language, digest day, hour and time zone")),
    ("help", N_("What I can do")),
)
LANGUAGE_NAMES = {"en": "English", "ko": "한국어"}
TOUCH_INTERVAL_SECONDS = 600.0


def utc_now() -> datetime:
    """Return the current time in UTC (the one place the real clock is read)."""
    return datetime.now(UTC)


@dataclass
class Services:
    """Use cases for handlers; `now` is injectable so tests control the clock."""

    settings: Settings
    engine: Engine
    now: Callable[[], datetime] = utc_now
    catalogue: Catalogue = field(init=False)
    # Filled in from getMe at start; used in help texts.
    bot_username: str = "jangmadang_bot"
    # telegram id -> (reply language, monotonic time of the last write).
    _seen: dict[int, tuple[str, float]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.catalogue = load_catalogue(self.engine)
        self.pending = PendingStore()
        self.admin = Admin(self)
        self.entries = Entries(self)
        self.forms = Forms(self)
        self.files = Files(self)
        self.subscriptions = Subscriptions(self)
        self.schedules = Schedules(self)
        # Set by the application to wake the sender when something was queued.
        self.on_queued: Callable[[], None] = lambda: None

    def reload_catalogue(self) -> None:
        """Rebuild the name index after the catalogue changed."""
        self.catalogue = load_catalogue(self.engine)

    def language_for(self, telegram_code: str | None) -> str:
        """Pick a supported reply language from Telegram's language_code."""
        code = (telegram_code or "").split("-")[0].lower()
        return code if code in SUPPORTED_LANGUAGES else self.settings.default_language

    def touch_user(
        self, *, telegram_id: int, username: str | None, language_code: str | None
    ) -> str:
        """Record that a user talked to the bot; return the language to answer in.

        Writes at most once per user every few minutes: a question should not cost a write.
        """
        seen = self._seen.get(telegram_id)
        clock = time.monotonic()
        if seen is not None and clock - seen[1] < TOUCH_INTERVAL_SECONDS:
            return seen[0]
        with Session(self.engine) as session:
            user = repo.touch_user(
                session,
                telegram_id=telegram_id,
                username=username,
                language=self.language_for(language_code),
                now=self.now(),
            )
            language = user.language or self.settings.default_language
            session.commit()
        if len(self._seen) > 100_000:
            self._seen.clear()
        self._seen[telegram_id] = (language, clock)
        return language

    def is_owner(self, telegram_id: int) -> bool:
        """Tell whether a numeric Telegram id is one of the configured owners."""
        return telegram_id in self.settings.admin_ids

    def today(self) -> date:
        return self.now().date()

    def ask(self, text: str, *, lang: str) -> Reply:
        """Answer a price question (raises DomainError with a user message)."""
        return prices.ask(self.engine, self.catalogue, text, today=self.today(), lang=lang)

    def compare(self, text: str, *, lang: str) -> Reply:
        """Answer /compare <commodity> [period]."""
        if not text.strip():
            raise InvalidInput(analysis.COMPARE_USAGE, is_html=True)
        question = prices.resolve_question(
            self.catalogue, text, today=self.today(), lang=lang, kind="cmp"
        )
        if isinstance(question, Reply):
            return question
        return analysis.compare(
            self.engine, self.catalogue, question, today=self.today(), lang=lang
        )

    def trend(self, text: str, *, lang: str) -> Reply:
        """Answer /trend <commodity> [market] [period] with a chart or a table."""
        if not text.strip():
            raise InvalidInput(analysis.TREND_USAGE, is_html=True)
        question = prices.resolve_question(
            self.catalogue, text, today=self.today(), lang=lang, kind="t"
        )
        if isinstance(question, Reply):
            return question
        return analysis.trend(self.engine, self.catalogue, question, lang=lang)

    def conditions(self, text: str, *, lang: str) -> Reply:
        """Answer /conditions [place or commodity]."""
        return browse.conditions(self.engine, self.catalogue, text, lang=lang)

    def commodities(self, *, lang: str, page: int = 1) -> Reply:
        """Answer /commodities with a paged list."""
        return browse.commodity_list(self.engine, self.catalogue, page=page, lang=lang)

    def markets(self, *, lang: str, page: int = 1) -> Reply:
        """Answer /markets with a paged list."""
        return browse.market_list(self.engine, self.catalogue, page=page, lang=lang)

    def inline(self, text: str, *, lang: str) -> list[InlineResult]:
        """Answer an inline query with up to 50 results."""
        return prices.inline_results(
            self.engine, self.catalogue, text, today=self.today(), lang=lang
        )

    def settings_menu(self, *, lang: str, chat_id: int | None = None) -> Reply:
        """Show the settings with buttons: language, and the chat's digest schedule."""
        t = translator(lang)
        name = LANGUAGE_NAMES.get(lang, lang)
        title = t.gettext("Settings")
        text = f"<b>{render.esc(title)}</b>\n" + render.esc(
            t.gettext("Language: {language}").format(language=name)
        )
        buttons: tuple[tuple[Button, ...], ...] = (
            tuple(
                Button(
                    ("✅ " if code == lang else "") + label, callbacks.encode("set", "lang", code)
                )
                for code, label in LANGUAGE_NAMES.items()
            ),
        )
        if chat_id is not None:
            schedule, schedule_buttons = self.schedules.schedule_text(chat_id=chat_id, lang=lang)
            text += "\n" + schedule
            buttons += schedule_buttons
        return Reply(text=text, buttons=buttons)

    def set_language(self, *, telegram_id: int, language: str) -> Reply:
        """Store the reply language a user chose (their digests follow it) and show the settings."""
        if language not in SUPPORTED_LANGUAGES:
            raise InvalidInput("This button is no longer valid.")
        with Session(self.engine) as session:
            repo.set_user_language(
                session, telegram_id=telegram_id, language=language, now=self.now()
            )
            session.commit()
        # A user's private chat has the user's id; their digests follow their language.
        self.schedules.set_language(chat_id=telegram_id, language=language)
        self._seen[telegram_id] = (language, time.monotonic())
        return self.settings_menu(lang=language, chat_id=telegram_id)

    def prices_added(self, observation_ids: list[int]) -> int:
        """Queue price alerts for new figures that escalate their series; wake the sender."""
        queued = alerts.check_alerts(self.engine, self.catalogue, observation_ids, now=self.now())
        if queued:
            self.on_queued()
        return queued

    def callback(self, data: str | None, *, telegram_id: int, lang: str) -> Reply:
        """Turn a button tap into the reply it stands for."""
        cb = callbacks.decode(data)
        today = self.today()
        if cb.kind in ("p", "t", "cmp"):
            question = self._question(cb)
            if cb.kind == "p":
                return prices.price_reply(
                    self.engine, self.catalogue, question, today=today, lang=lang
                )
            if cb.kind == "t":
                return analysis.trend(self.engine, self.catalogue, question, lang=lang)
            return analysis.compare(self.engine, self.catalogue, question, today=today, lang=lang)
        if cb.kind == "c":
            scope = cb.fields[0] if cb.fields else ""
            return browse.conditions_page(
                self.engine,
                self.catalogue,
                scope=scope,
                target=cb.int_at(1),
                page=cb.int_at(2) or 1,
                lang=lang,
            )
        if cb.kind == "lc":
            return self.commodities(lang=lang, page=cb.int_at(0) or 1)
        if cb.kind == "lm":
            return self.markets(lang=lang, page=cb.int_at(0) or 1)
        if cb.kind == "m":
            market_id = cb.int_at(0)
            if market_id is None:
                raise InvalidInput("This button is no longer valid.")
            return browse.market_overview(
                self.engine, self.catalogue, market_id, today=today, lang=lang
            )
        if cb.kind == "set" and cb.fields[:1] == ("lang",) and len(cb.fields) == 2:
            return self.set_language(telegram_id=telegram_id, language=cb.fields[1])
        if cb.kind in ("ok", "no", "pick", "new", "f"):
            if not self.admin.is_admin(telegram_id):
                raise InvalidInput("Only admins can do this.")
            token = cb.fields[0] if cb.fields else ""
            if cb.kind == "ok":
                return self.entries.confirm(admin_id=telegram_id, token=token)
            if cb.kind == "no":
                self.forms.cancel(admin_id=telegram_id)
                return self.entries.cancel(admin_id=telegram_id, token=token)
            if cb.kind == "pick" and len(cb.fields) == 3:
                return self.entries.pick(
                    admin_id=telegram_id, token=token, what=cb.fields[1], entry_id=cb.int_at(2)
                )
            if cb.kind == "new" and len(cb.fields) == 2:
                return self.entries.create(admin_id=telegram_id, token=token, what=cb.fields[1])
            if cb.kind == "f":
                reply = self.forms.answer(admin_id=telegram_id, value=":".join(cb.fields))
                if reply is None:
                    raise InvalidInput(
                        "This form has expired; start again with /addprice or /addreport."
                    )
                return reply
        raise InvalidInput("This button is no longer valid.")

    def _question(self, cb: callbacks.Callback) -> prices.Question:
        commodity_id, market_id = cb.int_at(0), cb.int_at(1)
        if commodity_id not in self.catalogue.commodity_labels or (
            market_id is not None and market_id not in self.catalogue.market_labels
        ):
            raise InvalidInput("This button is no longer valid.")
        start, end = cb.date_at(2), cb.date_at(3)
        label = None
        if start is not None or end is not None:
            label = f"{start.isoformat() if start else '…'} – {end.isoformat() if end else '…'}"
        return prices.Question(commodity_id, market_id, start, end, label)

    def start_text(self, *, first_name: str | None, lang: str) -> str:
        """Return the welcome message."""
        _ = translator(lang).gettext
        name = render.esc(first_name) if first_name else _("there")
        return _(
            "Hello, {name}! I tell you what things cost in North Korea's markets, "
            "with the source and the age of every figure.\n\n"
            "Try <code>/price lingzhi</code> or <code>/price rice hyesan</code>, "
            "or just type a name: <code>corn sinuiju</code>, <code>혜산 쌀</code>, <code>灵芝</code>.\n\n"
            "/help lists everything I can do."
        ).format(name=name)

    def help_text(self, *, lang: str, telegram_id: int | None = None) -> str:
        """Return the command list and how to ask; editors also see their commands."""
        _ = translator(lang).gettext
        title = _("What I can do")
        lines = [f"<b>{render.esc(title)}</b>", ""]
        lines += [
            f"/{name} — {render.esc(_(description))}" for name, description in PUBLIC_COMMANDS
        ]
        lines += [
            "",
            _(
                "<b>Asking</b>: write a commodity, optionally a place and a time, in English, Korean or "
                "Chinese: <code>lingzhi hyesan</code>, <code>rice sinuiju last month</code>, "
                "<code>혜산 쌀값</code>, <code>灵芝价格</code>. Typos are fine; when a name is unclear I ask. "
                "In any chat, type <code>@{bot} lingzhi</code> to share an answer."
            ).format(bot=render.esc(self.bot_username)),
            "",
            _(
                "<b>Reading an answer</b>: prices are shown as reported (ranges kept), with the "
                "observation date, its age, the source and its reliability grade "
                "(Admiralty code: source A-F, information 1-6). Figures older than {days} days are "
                "marked stale. ≈ marks a value converted at the same market's exchange rate, never the "
                "official rate."
            ).format(days=STALE_AFTER_DAYS),
        ]
        if telegram_id is not None and self.admin.is_admin(telegram_id):
            editor = _("For editors (private chat)")
            lines += ["", f"<b>{render.esc(editor)}</b>"]
            commands = (*ADMIN_COMMANDS, *(OWNER_COMMANDS if self.is_owner(telegram_id) else ()))
            lines += [f"/{name} — {render.esc(_(description))}" for name, description in commands]
            lines.append(
                render.esc(
                    _(
                        "Send a CSV file (WFP/HDX or this bot's columns) to import it, all or nothing."
                    )
                )
            )
        return "\n".join(lines)

    def unknown_command_text(self, command: str, *, lang: str) -> str:
        """Return the reply to a command the bot does not have."""
        _ = translator(lang).gettext
        return render.esc(
            _("I don't know the command {command}. /help lists what I can do.").format(
                command=command
            )
        )

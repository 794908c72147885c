"""The use cases the handlers call: one object holding the engine, catalogue and clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.domain import render
from bot.services import prices
from bot.services.catalogue import Catalogue, load_catalogue
from config.settings import SUPPORTED_LANGUAGES, Settings
from db import repo

# (command, description) for the menu; the order is the order users see.
PUBLIC_COMMANDS = (
    ("price", "Latest price: /price lingzhi hyesan"),
    ("help", "What I can do"),
    ("start", "Welcome and examples"),
)


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

    def __post_init__(self) -> None:
        self.catalogue = load_catalogue(self.engine)

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
        """Record that a user talked to the bot; return the language to answer in."""
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
        return language

    def is_owner(self, telegram_id: int) -> bool:
        """Tell whether a numeric Telegram id is one of the configured owners."""
        return telegram_id in self.settings.admin_ids

    def price(self, text: str, *, lang: str) -> str:
        """Answer a price question in HTML (raises DomainError with a user message)."""
        return prices.price_answer(
            self.engine, self.catalogue, text, today=self.now().date(), lang=lang
        )

    def start_text(self, *, first_name: str | None) -> str:
        """Return the welcome message."""
        name = render.esc(first_name) if first_name else "there"
        return (
            f"Hello, {name}! I tell you what things cost in North Korea's markets, "
            "with the source and the age of every figure.\n\n"
            "Try <code>/price lingzhi</code> or <code>/price rice hyesan</code>, "
            "or just type a name: <code>corn sinuiju</code>, <code>혜산 쌀</code>, <code>灵芝</code>.\n\n"
            "/help lists everything I can do."
        )

    def help_text(self) -> str:
        """Return the command list and how to ask."""
        lines = ["<b>What I can do</b>", ""]
        lines += [f"/{name} — {render.esc(description)}" for name, description in PUBLIC_COMMANDS]
        lines += [
            "",
            "<b>Asking</b>: write a commodity and optionally a place, in English, Korean or Chinese: "
            "<code>lingzhi hyesan</code>, <code>usd pyongyang</code>, <code>혜산 쌀</code>, <code>灵芝</code>. "
            "Typos are fine; when a name is unclear I ask.",
            "",
            "<b>Reading an answer</b>: prices are shown as reported (ranges kept), with the "
            "observation date, its age, the source and its reliability grade "
            "(Admiralty code: source A-F, information 1-6). Figures older than 60 days are marked stale.",
        ]
        return "\n".join(lines)

    def unknown_command_text(self, command: str) -> str:
        """Return the reply to a command the bot does not have."""
        return f"I don't know the command {render.esc(command)}. /help lists what I can do."

"""Who is talking: the reply language, remembered cheaply, and the settings a user changes."""

from __future__ import annotations

import threading
import time

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.domain.errors import InvalidInput
from bot.rendering.menus import settings_menu
from bot.rendering.replies import Reply
from bot.services.clock import Clock
from bot.services.schedules import Schedules
from db import repo

# A question should not cost a write: a user's row is touched at most this often.
TOUCH_INTERVAL_SECONDS = 600.0
MAX_REMEMBERED = 100_000


class Users:
    """Registers users as they talk, picks their language and stores what they choose."""

    def __init__(
        self,
        *,
        engine: Engine,
        clock: Clock,
        schedules: Schedules,
        languages: tuple[str, ...],
        default_language: str,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._schedules = schedules
        self._languages = languages
        self.default_language = default_language
        # telegram id -> (reply language, monotonic time of the last write).
        # The language each user chose in /settings (None: their app's), and when it was read.
        self._seen: dict[int, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    def language_for(self, telegram_code: str | None) -> str:
        """Pick a supported reply language from Telegram's language_code."""
        code = (telegram_code or "").split("-")[0].lower()
        return code if code in self._languages else self.default_language

    def known_language(self, *, telegram_id: int, language_code: str | None) -> str | None:
        """The language to answer a user seen in the last minutes in, without the database
        (None: `touch` must run). Cheap enough for the event loop."""
        with self._lock:
            seen = self._seen.get(telegram_id)
        if seen is None or time.monotonic() - seen[1] >= TOUCH_INTERVAL_SECONDS:
            return None
        return seen[0] or self.language_for(language_code)

    def touch(self, *, telegram_id: int, username: str | None, language_code: str | None) -> str:
        """Record that a user talked to the bot; return the language to answer in.

        A language chosen in /settings wins; otherwise the language of the user's Telegram app,
        read afresh from every update (it changes when they switch their app's language).
        """
        with self._lock:
            seen = self._seen.get(telegram_id)
        clock = time.monotonic()
        if seen is not None and clock - seen[1] < TOUCH_INTERVAL_SECONDS:
            return seen[0] or self.language_for(language_code)
        for attempt in (1, 2):
            try:
                with Session(self._engine) as session:
                    user = repo.touch_user(
                        session,
                        telegram_id=telegram_id,
                        username=username,
                        language=None,
                        now=self._clock(),
                    )
                    chosen = user.language
                    session.commit()
                break
            except IntegrityError:
                # A new user's first two messages at once: the other one created the row.
                if attempt == 2:
                    raise
        self._remember(telegram_id, chosen)
        return chosen or self.language_for(language_code)

    def settings(self, *, lang: str, chat_id: int | None) -> Reply:
        """The settings with buttons: language, and the chat's digest schedule."""
        schedule = None
        if chat_id is not None:
            schedule = self._schedules.schedule_text(chat_id=chat_id, lang=lang)
        return settings_menu(lang=lang, schedule=schedule)

    def set_language(self, *, telegram_id: int, language: str) -> Reply:
        """Store the reply language a user chose (their digests follow it); show the settings."""
        if language not in self._languages:
            raise InvalidInput("This button is no longer valid.")
        with Session(self._engine) as session:
            repo.set_user_language(
                session, telegram_id=telegram_id, language=language, now=self._clock()
            )
            session.commit()
        # A user's private chat has the user's id; their digests follow their language.
        self._schedules.set_language(chat_id=telegram_id, language=language)
        self._remember(telegram_id, language)
        return self.settings(lang=language, chat_id=telegram_id)

    def set_chat_language(self, *, chat_id: int, language: str) -> Reply:
        """Store the language of a group's or channel's digests; show that chat's settings.

        Nobody's own reply language changes: the tap was an admin's, on the chat's settings.
        """
        if language not in self._languages:
            raise InvalidInput("This button is no longer valid.")
        self._schedules.set_language(chat_id=chat_id, language=language)
        return self.settings(lang=language, chat_id=chat_id)

    def _remember(self, telegram_id: int, language: str | None) -> None:
        with self._lock:
            if len(self._seen) > MAX_REMEMBERED:
                self._seen.clear()
            self._seen[telegram_id] = (language, time.monotonic())

"""The settings menu: the reply language, then the chat's digest schedule."""

from __future__ import annotations

from bot.domain import callbacks
from bot.i18n import translator
from bot.rendering.html import esc
from bot.rendering.replies import Button, Reply

LANGUAGE_NAMES = {"en": "English", "ko": "한국어"}

Buttons = tuple[tuple[Button, ...], ...]


def settings_menu(*, lang: str, schedule: tuple[str, Buttons] | None = None) -> Reply:
    """Show the language with one button per language, and the schedule part when there is one."""
    t = translator(lang)
    name = LANGUAGE_NAMES.get(lang, lang)
    title = t.gettext("Settings")
    text = f"<b>{esc(title)}</b>\n" + esc(t.gettext("Language: {language}").format(language=name))
    buttons: Buttons = (
        tuple(
            Button(("✅ " if code == lang else "") + label, callbacks.encode("set", "lang", code))
            for code, label in LANGUAGE_NAMES.items()
        ),
    )
    if schedule is not None:
        schedule_text, schedule_buttons = schedule
        text += "\n" + schedule_text
        buttons += schedule_buttons
    return Reply(text=text, buttons=buttons)
